#include <aiw/plugin.h>

namespace testkit {

// testkit.noop: completes at once with {}: the floor for engine-overhead benchmarks, so it
// does nothing but end the call. Options: none.
//
//   - { id: step, uses: testkit.noop }
class Noop : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{"testkit.noop", "1.0.0",
                                        "Completes at once with an empty object.",
                                        R"({"type":"object","additionalProperties":false})",
                                        R"({"type":"object","additionalProperties":false})"};
  void run(aiw::Call call, const aiw::Json&) override { call.complete(std::string_view("{}")); }
};
AIW_REGISTER_STAGE(Noop);

}  // namespace testkit
