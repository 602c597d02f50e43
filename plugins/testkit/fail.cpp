#include <aiw/plugin.h>

#include <chrono>
#include <string>

namespace testkit {

// testkit.fail: always fails, the way the options say, to test retries and optional stages.
// Options:
//   kind            "retryable" | "permanent", required
//   message         string, required                the error sentence
//   retry_after_ms  integer >= 0, optional          asks the queue to wait (like a 429)
//
//   - id: flaky
//     uses: testkit.fail
//     optional: true
//     with: { kind: retryable, message: "model overloaded", retry_after_ms: 1000 }
class Fail : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.fail", "1.0.0", "Always fails with the given kind and message.",
      R"({"type":"object","properties":{"kind":{"enum":["retryable","permanent"]},)"
      R"("message":{"type":"string"},"retry_after_ms":{"type":"integer","minimum":0}},)"
      R"("required":["kind","message"],"additionalProperties":false})",
      nullptr};
  void run(aiw::Call call, const aiw::Json& params) override {
    std::string message = params["message"].GetString();
    if (std::string_view(params["kind"].GetString()) == "permanent") {
      call.fail_permanent(message);
      return;
    }
    const aiw::JsonValue* after = aiw::find_member(params, "retry_after_ms");
    call.fail_retryable(message, std::chrono::milliseconds(after ? after->GetInt64() : -1));
  }
};
AIW_REGISTER_STAGE(Fail);

}  // namespace testkit
