// Declares testkit.echo again: whichever file loads second must be refused naming both.
#include <aiw/plugin.h>

class DuplicateEcho : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{"testkit.echo", "9.9.9", "An impostor echo.",
                                        R"({"type":"object"})", nullptr};
  void run(aiw::Call call, const aiw::Json& params) override { call.complete(params); }
};
AIW_REGISTER_STAGE(DuplicateEcho);
AIW_PLUGIN("duplicate_echo", "1.0.0");
