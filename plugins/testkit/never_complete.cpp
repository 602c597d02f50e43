#include <aiw/plugin.h>

namespace testkit {

// testkit.never_complete: returns without ever ending its call, to prove the stage timeout
// and the job deadline end it. Options: none.
//
//   - { id: stuck, uses: testkit.never_complete, timeout: 200ms }
class NeverComplete : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.never_complete", "1.0.0", "Never ends its call, for timeout tests.",
      R"({"type":"object","additionalProperties":false})", nullptr};
  void run(aiw::Call, const aiw::Json&) override {}
};
AIW_REGISTER_STAGE(NeverComplete);

}  // namespace testkit
