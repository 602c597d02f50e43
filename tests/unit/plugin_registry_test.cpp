#include <aiw/json.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "plugin/registry.h"
#include "plugin_test_support.h"

namespace aiw::plugin {
namespace {

namespace fs = std::filesystem;
using aiw::testing::ScopedEnv;
using aiw::testing::TempDir;
using aiw::testing::test_plugin;
using aiw::testing::testkit_plugin;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Loads one file into a fresh registry and returns the refusal sentence ("" when it loaded).
std::string refusal_of(const std::string& path) {
  PluginRegistry registry;
  Status s = registry.load_file(path);
  if (s.ok()) return "";
  EXPECT_EQ(registry.refusals().size(), 1u);
  EXPECT_EQ(registry.refusals().front(), s.message());
  EXPECT_TRUE(registry.all().empty());
  return s.message();
}

TEST(PluginRegistry, LoadsTestkitAndDescribesEveryStage) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_file(testkit_plugin()).ok()) << registry.refusals().front();
  std::vector<std::string> names;
  for (const StageTypeInfo* t : registry.all()) {
    names.push_back(t->name);
    EXPECT_FALSE(t->description.empty()) << t->name;
    EXPECT_EQ(t->version, "1.0.0") << t->name;
    EXPECT_EQ(t->plugin_name, "testkit");
    EXPECT_EQ(t->plugin_file, testkit_plugin());
    EXPECT_NE(t->raw, nullptr);
    Json schema;
    ASSERT_TRUE(parse_json(t->params_schema, schema)) << t->name;
    EXPECT_TRUE(schema.IsObject()) << t->name;
    if (!t->output_schema.empty()) {
      EXPECT_TRUE(parse_json(t->output_schema, schema)) << t->name;
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "testkit.clock", "testkit.complete_twice", "testkit.cpu", "testkit.echo", "testkit.fail",
                       "testkit.http", "testkit.never_complete", "testkit.noop", "testkit.sleep",
                       "testkit.throw", "testkit.transform"}));
  EXPECT_EQ(registry.stage_type_names(), names);
  EXPECT_TRUE(registry.refusals().empty());
}

TEST(PluginRegistry, AnswersTheCatalogQueriesOfThePipelineLoader) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_file(testkit_plugin()).ok());
  const pipeline::StageCatalog& catalog = registry;
  ASSERT_NE(catalog.params_schema("testkit.sleep"), nullptr);
  EXPECT_THAT(catalog.params_schema("testkit.sleep"), HasSubstr("\"ms\""));
  EXPECT_EQ(catalog.params_schema("testkit.nope"), nullptr);
  EXPECT_EQ(registry.find("testkit.nope"), nullptr);
}

TEST(PluginRegistry, RefusesAbiMajorMismatchNamingBothVersions) {
  std::string path = test_plugin("abi_major_mismatch");
  EXPECT_EQ(refusal_of(path), "plugin " + path + " refused: built for ABI 2.0, this aiw speaks 1." +
                                  std::to_string(AIW_ABI_MINOR) +
                                  ": rebuild the plugin against aiw 1.x");
}

TEST(PluginRegistry, RefusesPluginBuiltForNewerMinorAbi) {
  std::string path = test_plugin("abi_minor_newer");
  EXPECT_THAT(refusal_of(path),
              AllOf(HasSubstr(path), HasSubstr("ABI 1." + std::to_string(AIW_ABI_MINOR + 1)),
                    HasSubstr("newer than this aiw's 1." + std::to_string(AIW_ABI_MINOR))));
}

TEST(PluginRegistry, RefusesNonPluginSharedObjectWithDlopenError) {
  TempDir dir;
  fs::path junk = dir.path() / "x.so";
  std::ofstream out(junk, std::ios::binary);
  std::mt19937 random(42);
  for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(random()));
  out.close();
  EXPECT_THAT(refusal_of(junk.string()),
              AllOf(HasSubstr("plugin " + junk.string() + " refused: "), HasSubstr("ELF")));
}

TEST(PluginRegistry, RefusesMissingFileWithDlopenError) {
  EXPECT_THAT(
      refusal_of("/nonexistent/aiw_ghost.so"),
      AllOf(HasSubstr("/nonexistent/aiw_ghost.so"), HasSubstr("No such file or directory")));
}

TEST(PluginRegistry, RefusesSharedObjectWithoutEntryPoint) {
  std::string path = test_plugin("no_entry");
  EXPECT_EQ(refusal_of(path),
            "plugin " + path + " refused: no aiw_plugin_v1 entry point (is it an aiw plugin?)");
}

TEST(PluginRegistry, RefusesEntryPointReturningNull) {
  EXPECT_THAT(refusal_of(test_plugin("returns_null")),
              AllOf(HasSubstr(test_plugin("returns_null")), HasSubstr("returned NULL")));
}

TEST(PluginRegistry, EntryPointThatThrowsIsRefusedWithItsMessage) {
  EXPECT_THAT(refusal_of(test_plugin("entry_throws")),
              AllOf(HasSubstr(test_plugin("entry_throws")),
                    HasSubstr("entry point threw: entry_throws failed to start")));
}

TEST(PluginRegistry, RefusesPluginReportingInitErrorWithItsSentence) {
  EXPECT_THAT(refusal_of(test_plugin("init_error")),
              AllOf(HasSubstr(test_plugin("init_error")),
                    HasSubstr("could not initialise: the model file /x/y.onnx is missing")));
}

TEST(PluginRegistry, RefusesPluginTableSmallerThanTheAbiRequires) {
  EXPECT_THAT(refusal_of(test_plugin("struct_too_small")),
              AllOf(HasSubstr(test_plugin("struct_too_small")), HasSubstr("bytes, smaller than")));
}

TEST(PluginRegistry, RefusesStageTypeWithInvalidName) {
  EXPECT_THAT(
      refusal_of(test_plugin("bad_stage_name")),
      AllOf(HasSubstr(test_plugin("bad_stage_name")), HasSubstr("invalid name \"bad name!\"")));
}

TEST(PluginRegistry, RefusesStageTypeWhoseSchemaIsNotJson) {
  EXPECT_THAT(refusal_of(test_plugin("bad_schema")),
              AllOf(HasSubstr(test_plugin("bad_schema")),
                    HasSubstr("stage type bad_schema.stage's params_schema is not valid")));
}

TEST(PluginRegistry, RefusesDuplicateStageTypeNamingBothFiles) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_file(testkit_plugin()).ok());
  Status s = registry.load_file(test_plugin("duplicate_echo"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "plugin " + test_plugin("duplicate_echo") +
                             " refused: stage type testkit.echo is already provided by " +
                             testkit_plugin() + " (the first one loaded is kept)");
  ASSERT_NE(registry.find("testkit.echo"), nullptr);
  EXPECT_EQ(registry.find("testkit.echo")->plugin_file, testkit_plugin());
  EXPECT_EQ(registry.find("testkit.echo")->version, "1.0.0");
}

TEST(PluginRegistry, LoadingTheSameFileTwiceIsHarmless) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_file(testkit_plugin()).ok());
  ASSERT_TRUE(
      registry.load_file(std::string(AIW_BUILD_PLUGIN_DIR) + "/../plugins/aiw_testkit.so").ok());
  EXPECT_TRUE(registry.refusals().empty());
  EXPECT_EQ(registry.all().size(), 11u);
}

TEST(PluginRegistry, OneRefusalNeverStopsTheOthers) {
  PluginRegistry registry;
  registry.load_directory(std::string(AIW_BINARY_DIR) + "/test-plugins");
  // factory_throws and duplicate_echo load (their create() is only called later); the nine
  // others are each refused with their own sentence.
  EXPECT_NE(registry.find("factory_throws.stage"), nullptr);
  EXPECT_NE(registry.find("testkit.echo"), nullptr);
  EXPECT_EQ(registry.refusals().size(), 9u);
  for (const std::string& r : registry.refusals()) EXPECT_THAT(r, HasSubstr("/test-plugins/"));
}

TEST(PluginRegistry, UnreadableFolderIsReportedNotFatal) {
  PluginRegistry registry;
  registry.load_directory("/nonexistent/plugins");
  ASSERT_EQ(registry.refusals().size(), 1u);
  EXPECT_THAT(registry.refusals().front(), HasSubstr("/nonexistent/plugins"));
}

TEST(PluginRegistry, FactoryThatThrowsIsReportedNotCrashing) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_file(test_plugin("factory_throws")).ok());
  const StageTypeInfo* type = registry.find("factory_throws.stage");
  ASSERT_NE(type, nullptr);
  Result<StageInstance> instance = PluginRegistry::create_instance(*type, "{}");
  ASSERT_FALSE(instance.ok());
  EXPECT_THAT(instance.error(),
              AllOf(HasSubstr("factory_throws.stage"), HasSubstr(test_plugin("factory_throws")),
                    HasSubstr("the model endpoint is not configured")));
}

TEST(PluginRegistry, CreateInstanceReportsParametersThatAreNotJson) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_file(testkit_plugin()).ok());
  Result<StageInstance> instance =
      PluginRegistry::create_instance(*registry.find("testkit.echo"), "{not json");
  ASSERT_FALSE(instance.ok());
  EXPECT_THAT(instance.error(), AllOf(HasSubstr("testkit.echo"), HasSubstr("not valid JSON")));
}

TEST(PluginRegistry, StageInstanceOwnsItsInstanceAcrossMoves) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.load_file(testkit_plugin()).ok());
  Result<StageInstance> made =
      PluginRegistry::create_instance(*registry.find("testkit.echo"), "{}");
  ASSERT_TRUE(made.ok()) << made.error();
  StageInstance a = std::move(*made);
  EXPECT_FALSE(*made);
  ASSERT_TRUE(a);
  void* raw = a.get();
  StageInstance b;
  b = std::move(a);
  EXPECT_FALSE(a);
  EXPECT_EQ(b.get(), raw);
  EXPECT_EQ(b.type(), registry.find("testkit.echo")->raw);
  b.reset();
  EXPECT_FALSE(b);
}

TEST(PluginRegistry, DiscoversPluginsOnAiwPluginPathBeforeInstallDir) {
  TempDir dir;
  fs::copy_file(test_plugin("duplicate_echo"), dir.path() / "aiw_duplicate_echo.so");
  ScopedEnv env("AIW_PLUGIN_PATH", dir.path().string() + "::/nonexistent/folder:");

  std::vector<std::string> path = PluginRegistry::default_search_path();
  // This test binary lives in <build>/bin, so <exe>/../lib/aiw/plugins is the build's plugin dir.
  std::string beside_exe = fs::canonical(AIW_BUILD_PLUGIN_DIR).string();
  ASSERT_GE(path.size(), 2u);
  EXPECT_EQ(path[0], fs::canonical(dir.path()).string());
  EXPECT_EQ(path[1], beside_exe);

  PluginRegistry registry;
  registry.load_default();
  const StageTypeInfo* echo = registry.find("testkit.echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->plugin_name, "duplicate_echo");  // AIW_PLUGIN_PATH wins
  // A file with a clashing stage type is refused whole, not loaded in part.
  EXPECT_EQ(registry.find("testkit.noop"), nullptr);
  ASSERT_FALSE(registry.refusals().empty());
  EXPECT_THAT(registry.refusals().front(),
              AllOf(HasSubstr("aiw_testkit.so"), HasSubstr("aiw_duplicate_echo.so")));
}

TEST(PluginRegistry, SearchPathDeduplicatesFoldersByRealPath) {
  TempDir dir;
  fs::create_directory(dir.path() / "plugins");
  fs::create_directory_symlink(dir.path() / "plugins", dir.path() / "link");
  std::string p = (dir.path() / "plugins").string();
  ScopedEnv env("AIW_PLUGIN_PATH",
                p + ":" + (dir.path() / "link").string() + ":" + p + "/../plugins");
  std::vector<std::string> path = PluginRegistry::default_search_path();
  EXPECT_EQ(std::count(path.begin(), path.end(), fs::canonical(p).string()), 1);
  EXPECT_EQ(path.front(), fs::canonical(p).string());
}

}  // namespace
}  // namespace aiw::plugin
