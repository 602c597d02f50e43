// ABI 1.1 added fields at the end of aiw_http_request; a plugin built against 1.0 passes the
// smaller struct and must be served exactly as before (no address policy, no garbage read).
#include <aiw/json.h>
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "fakes/http_server.h"
#include "pipeline/loader.h"
#include "plugin/registry.h"
#include "plugin_test_support.h"

namespace aiw::testing {
namespace {

TEST(AbiCompat, PluginWithTheAbi10HttpRequestStillReachesLoopback) {
  fakes::HttpServer server;
  server.route("GET", "/ok", [](const fakes::Request&, fakes::Response& res) { res.body = "{}"; });
  plugin::PluginRegistry registry;
  ASSERT_TRUE(registry.load_file(test_plugin("abi_1_0_http")).ok());
  auto loaded = pipeline::load_pipeline_text(
      "name: t\nversion: \"1\"\nstages:\n  - { id: get, uses: abi10.get, with: { url: \"" +
          server.url("/ok") + "\" } }\n",
      "t.yaml", registry);
  ASSERT_TRUE(loaded.ok());
  auto engine = engine::Engine::create(std::move(*loaded.spec), registry);
  ASSERT_TRUE(engine.ok()) << engine.error();
  engine::JobResult result;
  engine::JobRequest request;
  request.id = "job-1";
  request.on_done = [&](engine::JobResult&& r) { result = std::move(r); };
  auto handle = (*engine)->submit(std::move(request));
  (*engine)->wait_idle();
  ASSERT_EQ(result.status, engine::JobResult::Status::kCompleted) << result.error;
  Json out;
  ASSERT_TRUE(parse_json(result.result_json, out));
  EXPECT_EQ(out["outcome"].GetInt(), AIW_HTTP_OK);
  EXPECT_EQ(out["status"].GetInt(), 200);
}

// ABI 1.2's promise: parameters that are exactly the `with` text create() got come at create()'s
// own address; parameters the engine resolved for a job (references, ${env...}) come elsewhere.
bool params_came_at_creates_address(const std::string& with, const std::string& input = "{}") {
  plugin::PluginRegistry registry;
  EXPECT_TRUE(registry.load_file(test_plugin("params_address")).ok());
  auto loaded = pipeline::load_pipeline_text(
      "name: t\nversion: \"1\"\nstages:\n  - { id: p, uses: paramsaddr.check, with: " + with +
          " }\n",
      "t.yaml", registry);
  EXPECT_TRUE(loaded.ok());
  if (!loaded.ok()) return false;
  auto engine = engine::Engine::create(std::move(*loaded.spec), registry);
  EXPECT_TRUE(engine.ok()) << engine.error();
  if (!engine.ok()) return false;
  engine::JobResult result;
  engine::JobRequest request;
  request.id = "job-1";
  request.input_json = input;
  request.on_done = [&](engine::JobResult&& r) { result = std::move(r); };
  (*engine)->post(std::move(request));
  (*engine)->wait_idle();
  EXPECT_EQ(result.status, engine::JobResult::Status::kCompleted) << result.error;
  Json out;
  EXPECT_TRUE(parse_json(result.result_json, out)) << result.result_json;
  return out.IsObject() && out.HasMember("same_address") && out["same_address"].GetBool();
}

TEST(AbiCompat, ParametersThatAreTheWithBlockComeAtCreatesAddress) {
  EXPECT_TRUE(params_came_at_creates_address("{ model: m, n: 3 }"));
  EXPECT_TRUE(params_came_at_creates_address("{}"));
}

TEST(AbiCompat, ParametersResolvedForAJobComeAtAnotherAddress) {
  EXPECT_FALSE(params_came_at_creates_address("{ name: \"${input.name}\" }", R"({"name":"x"})"));
  ScopedEnv env("AIW_TEST_PARAMS_ADDRESS", "filled");
  // Constant for every job, but not the text create() got (that still reads ${env...}).
  EXPECT_FALSE(params_came_at_creates_address("{ key: \"${env.AIW_TEST_PARAMS_ADDRESS}\" }"));
}

}  // namespace
}  // namespace aiw::testing
