// Running one in-tree plugin's stages against the fake host: create an instance from its `with`
// block as written, invoke it with the parameters a job would resolve, read how the call ended.
#pragma once

#include <aiw/json.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "plugin/registry.h"
#include "testkit_fake_host.h"

namespace aiw::testing {

class StageRunner : public ::testing::Test {
 protected:
  explicit StageRunner(std::string plugin) : plugin_(std::move(plugin)) {}
  void SetUp() override {
    std::string file = std::string(AIW_BUILD_PLUGIN_DIR) + "/aiw_" + plugin_ + ".so";
    ASSERT_TRUE(registry_.load_file(file).ok()) << file;
  }

  // Makes the instance from config; the error sentence when its creation is refused.
  Result<plugin::StageInstance> create(const std::string& type, const std::string& config) {
    const plugin::StageTypeInfo* info = registry_.find(type);
    EXPECT_NE(info, nullptr) << type;
    if (info == nullptr) return Status::error("no stage type " + type);
    return plugin::PluginRegistry::create_instance(*info, config);
  }
  // Creates from config and invokes once with params (the same text when params is empty).
  FakeCall& run(const std::string& type, const std::string& config, std::string params = "") {
    auto made = create(type, config);
    EXPECT_TRUE(made.ok()) << made.error();
    calls_.push_back(std::make_unique<FakeCall>());
    if (made.ok()) {
      instances_.push_back(std::move(*made));
      instances_.back().invoke(calls_.back()->raw(), params.empty() ? config : params);
    }
    return *calls_.back();
  }
  static Json json(const std::string& text) {
    Json doc;
    EXPECT_TRUE(parse_json(text, doc)) << text;
    return doc;
  }
  // A JSON string literal holding text (quotes, backslashes and line breaks escaped).
  static std::string quoted(const std::string& text) {
    return to_string(JsonValue(rapidjson::StringRef(text.data(), text.size())));
  }

  plugin::PluginRegistry registry_{fake_host()};
  std::vector<plugin::StageInstance> instances_;
  std::vector<std::unique_ptr<FakeCall>> calls_;

 private:
  std::string plugin_;
};

}  // namespace aiw::testing
