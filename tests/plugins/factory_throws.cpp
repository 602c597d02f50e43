// An SDK stage whose constructor throws: creating an instance must fail with a sentence.
#include <aiw/plugin.h>

#include <stdexcept>

class FactoryThrows : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{"factory_throws.stage", "1.0.0",
                                        "Its constructor always throws.", R"({"type":"object"})",
                                        nullptr};
  explicit FactoryThrows(const aiw::Json&) {
    throw std::runtime_error("the model endpoint is not configured");
  }
  void run(aiw::Call call, const aiw::Json&) override { call.complete(std::string_view("{}")); }
};
AIW_REGISTER_STAGE(FactoryThrows);
AIW_PLUGIN("factory_throws", "1.0.0");
