#include <aiw/plugin.h>

namespace testkit {

// testkit.complete_twice: completes with {"n":1} then again with {"n":2}, to prove the host
// keeps the first end and ignores (and logs) the second. Options: none.
//
//   - { id: twice, uses: testkit.complete_twice }
class CompleteTwice : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.complete_twice", "1.0.0", "Completes its call twice, for engine tests.",
      R"({"type":"object","additionalProperties":false})", nullptr};
  void run(aiw::Call call, const aiw::Json&) override {
    call.complete(std::string_view(R"({"n":1})"));
    call.complete(std::string_view(R"({"n":2})"));
  }
};
AIW_REGISTER_STAGE(CompleteTwice);

}  // namespace testkit
