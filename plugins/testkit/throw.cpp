#include <aiw/plugin.h>

#include <stdexcept>

namespace testkit {

// testkit.throw: throws std::runtime_error from run(), to prove an escaping exception becomes
// a permanent error naming the stage instead of crossing the ABI. Options: none.
//
//   - { id: boom, uses: testkit.throw }
class Throw : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.throw", "1.0.0", "Throws from run(), for engine tests.",
      R"({"type":"object","additionalProperties":false})", nullptr};
  void run(aiw::Call, const aiw::Json&) override {
    throw std::runtime_error("testkit.throw threw on purpose");
  }
};
AIW_REGISTER_STAGE(Throw);

}  // namespace testkit
