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

}  // namespace
}  // namespace aiw::testing
