// Engine::create refuses, with a sentence naming the stage and the plugin, what it cannot run.
#include "engine_test_support.h"

namespace aiw::testing {
namespace {

TEST(EngineCreate, PluginFactoryThatThrowsIsRefusedNamingTheStageAndPlugin) {
  plugin::PluginRegistry registry;
  registry.load_file(AIW_BINARY_DIR "/test-plugins/aiw_testplugin_factory_throws.so");
  auto loaded = pipeline::load_pipeline_text(
      "name: p\nversion: \"1\"\nstages:\n  - { id: model, uses: factory_throws.stage }\n",
      "p.yaml", registry);
  ASSERT_TRUE(loaded.ok());
  auto created = engine::Engine::create(std::move(*loaded.spec), registry);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().find("stage 'model' (factory_throws.stage)"), std::string::npos)
      << created.error();
  EXPECT_NE(created.error().find("aiw_testplugin_factory_throws.so"), std::string::npos)
      << created.error();
  EXPECT_NE(created.error().find("the model endpoint is not configured"), std::string::npos)
      << created.error();
}

TEST(EngineCreate, StageTypeMissingAtRunTimeIsRefusedWithWhereToLook) {
  auto spec = load_spec("name: p\nversion: \"1\"\nstages:\n  - { id: a, uses: testkit.echo }\n");
  plugin::PluginRegistry empty;  // the plugin is gone since the pipeline was validated
  auto created = engine::Engine::create(std::move(spec), empty);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().find("AIW_PLUGIN_PATH"), std::string::npos) << created.error();
}

}  // namespace
}  // namespace aiw::testing
