#include <aiw/plugin.h>

namespace testkit {

// testkit.echo: outputs its resolved parameters unchanged, to observe what references resolve
// to. Options: any (every key of `with` comes back as is).
//
//   - id: echo
//     uses: testkit.echo
//     with: { value: "${input.x}", greeting: "hello ${input.name}" }
//   # output: {"value": <input.x, with its JSON type>, "greeting": "hello ..."}
class Echo : public aiw::Stage {
 public:
  // Open on purpose: echo takes whatever it is given.
  static constexpr aiw::StageInfo kInfo{"testkit.echo", "1.0.0",
                                        "Outputs its parameters unchanged.", R"({"type":"object"})",
                                        R"({"type":"object"})"};
  void run(aiw::Call call, const aiw::Json& params) override { call.complete(params); }
};
AIW_REGISTER_STAGE(Echo);

}  // namespace testkit
