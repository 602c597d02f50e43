#include <aiw/plugin.h>

#include <chrono>
#include <string>

namespace testkit {

// testkit.clock: completes at once with the wall-clock time (CLOCK_REALTIME, microseconds since
// the Unix epoch) at which the stage started. Benchmarks compare it with times taken in other
// processes on the same machine (bench/queue: insert -> stage start). Options: none.
//
//   - { id: stamp, uses: testkit.clock }
//   # output: {"unix_us": 1795000000123456}
class Clock : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.clock", "1.0.0", "Completes at once with the wall-clock time it started.",
      R"({"type":"object","additionalProperties":false})",
      R"({"type":"object","properties":{"unix_us":{"type":"integer"}},"required":["unix_us"]})"};

  void run(aiw::Call call, const aiw::Json&) override {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    call.complete(R"({"unix_us":)" + std::to_string(us) + "}");
  }
};
AIW_REGISTER_STAGE(Clock);

}  // namespace testkit
