// Proves the promise of DESIGN.md "Plugins": a plugin built out of tree against the installed
// CMake package (find_package(aiw)) loads into aiw with no core rebuild.
#include <aiw/json.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "plugin/registry.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace aiw::plugin {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using aiw::testing::TempDir;

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

// Runs a shell command with its output in log; true when it exits 0.
bool run(const std::string& command, const fs::path& log) {
  std::string full = command + " >" + log.string() + " 2>&1";
  return std::system(full.c_str()) == 0;
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A pipeline using the out-of-tree stage type, to run through the aiw binary.
constexpr const char* kGreetPipeline = R"(name: greet
version: "1"
description: Greets the input's name with the out-of-tree hello.greet stage.
input:
  type: object
  required: [name]
  properties:
    name: { type: string }
stages:
  - id: greet
    uses: hello.greet
    with: { name: "${input.name}" }
)";

constexpr const char* kPluginCMake = R"(cmake_minimum_required(VERSION 3.25)
project(hello LANGUAGES CXX)
find_package(aiw REQUIRED)
aiw_add_plugin(hello SOURCES hello.cpp)
)";

constexpr const char* kPluginSource = R"(#include <aiw/plugin.h>

class Hello : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "hello.greet", "0.3.0", "Greets someone by name.",
      R"json({"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false})json",
      R"json({"type":"object"})json"};
  void run(aiw::Call call, const aiw::Json& params) override {
    call.complete("{\"greeting\":\"hello " + std::string(params["name"].GetString()) + "\"}");
  }
};
AIW_REGISTER_STAGE(Hello);
AIW_PLUGIN("hello", "0.3.0");
)";

TEST(OutOfTreePlugin, BuildsAgainstInstalledPackageLoadsAndRunsInAiw) {
  TempDir tmp;
  const fs::path prefix = tmp.path() / "prefix";
  const fs::path src = tmp.path() / "src";
  const fs::path build = tmp.path() / "build";
  const std::string cmake = std::string("\"") + AIW_CMAKE_COMMAND + "\"";

  ASSERT_TRUE(run(cmake + " --install \"" AIW_BINARY_DIR "\" --prefix \"" + prefix.string() + "\"",
                  tmp.path() / "install.log"))
      << read(tmp.path() / "install.log");
  // The testkit plugin travels with the install, where the installed aiw looks for it.
  fs::path installed_plugins;
  for (const char* libdir : {"lib", "lib64", "lib/x86_64-linux-gnu"})
    if (fs::exists(prefix / libdir / "aiw/plugins/aiw_testkit.so"))
      installed_plugins = prefix / libdir / "aiw/plugins";
  EXPECT_FALSE(installed_plugins.empty()) << "testkit was not installed";
  EXPECT_FALSE(fs::exists(installed_plugins / "aiw_testplugin_no_entry.so"));

  fs::create_directories(src);
  write(src / "CMakeLists.txt", kPluginCMake);
  write(src / "hello.cpp", kPluginSource);
  ASSERT_TRUE(run(cmake + " -S \"" + src.string() + "\" -B \"" + build.string() +
                      "\" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=\"" + prefix.string() +
                      "\"",
                  tmp.path() / "configure.log"))
      << read(tmp.path() / "configure.log");
  ASSERT_TRUE(run(cmake + " --build \"" + build.string() + "\" -j2", tmp.path() / "build.log"))
      << read(tmp.path() / "build.log");
  const fs::path plugin = build / "aiw_hello.so";
  ASSERT_TRUE(fs::exists(plugin));

  PluginRegistry registry;
  Status loaded = registry.load_file(plugin.string());
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  const StageTypeInfo* type = registry.find("hello.greet");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->description, "Greets someone by name.");
  EXPECT_EQ(type->version, "0.3.0");
  EXPECT_EQ(type->plugin_name, "hello");
  EXPECT_THAT(type->params_schema, HasSubstr("\"required\":[\"name\"]"));
  Json schema;
  EXPECT_TRUE(parse_json(type->params_schema, schema));
  Result<StageInstance> instance =
      PluginRegistry::create_instance(*type, R"({"name":"${input.name}"})");
  EXPECT_TRUE(instance.ok()) << instance.error();

  // The aiw binary runs a pipeline of the new stage type, found on AIW_PLUGIN_PATH.
  const fs::path pipeline = tmp.path() / "greet.yaml";
  write(pipeline, kGreetPipeline);
  test::ProcessResult r = test::run_process(
      {AIW_BINARY, "run", pipeline.string(), "--input", R"({"name":"Ada"})"},
      {{"AIW_PLUGIN_PATH", build.string() + ":" + AIW_BUILD_PLUGIN_DIR}}, std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
  Json result;
  ASSERT_TRUE(parse_json(r.out, result)) << r.out;
  const JsonValue* greeting = find_member(result, "greeting");
  ASSERT_NE(greeting, nullptr) << r.out;
  ASSERT_TRUE(greeting->IsString()) << r.out;
  EXPECT_STREQ(greeting->GetString(), "hello Ada");
}

}  // namespace
}  // namespace aiw::plugin
