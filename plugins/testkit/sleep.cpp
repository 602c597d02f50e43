#include <aiw/plugin.h>

#include <chrono>
#include <string>

namespace testkit {

// testkit.sleep: completes after `ms` milliseconds through the host's timer, holding no thread
// meanwhile, so it stands in for a slow remote model in concurrency tests. Options:
//   ms      integer >= 0, required   how long to wait
//   output  any JSON, optional       what to complete with (default {"slept_ms": ms})
//   early   boolean, optional        complete at once, before the timer runs out: the host
//                                    then cancels the timer, whose callback still runs once
//                                    (engine tests of a call that ends with work pending)
//
//   - id: slow
//     uses: testkit.sleep
//     with: { ms: 250, output: { label: "cat" } }
class Sleep : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.sleep", "1.0.0", "Completes after a delay without holding a thread.",
      R"({"type":"object","properties":{"ms":{"type":"integer","minimum":0},"output":{},)"
      R"("early":{"type":"boolean"}},)"
      R"("required":["ms"],"additionalProperties":false})",
      nullptr};
  void run(aiw::Call call, const aiw::Json& params) override {
    int64_t ms = params["ms"].GetInt64();
    if (ms < 0) {  // a reference may resolve to what the schema never saw
      call.fail_permanent("testkit.sleep: ms must not be negative, got " + std::to_string(ms));
      return;
    }
    const aiw::JsonValue* output = aiw::find_member(params, "output");
    std::string result =
        output != nullptr ? aiw::to_string(*output) : R"({"slept_ms":)" + std::to_string(ms) + "}";
    call.after(std::chrono::milliseconds(ms), [result](aiw::Call c, bool cancelled) {
      if (cancelled) return;  // the host has already ended the call
      c.complete(result);
    });
    const aiw::JsonValue* early = aiw::find_member(params, "early");
    if (early != nullptr && early->IsBool() && early->GetBool()) call.complete(result);
  }
};
AIW_REGISTER_STAGE(Sleep);

}  // namespace testkit
