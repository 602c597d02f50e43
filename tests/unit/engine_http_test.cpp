// The engine with an I/O stage (testkit.http) against a local server: answers, error kinds,
// stage retries, and that cancel and timeouts abort the HTTP exchange in flight.
#include "engine_test_support.h"
#include "fakes/http_server.h"
#include "net/io_loop.h"

#include <aiw/json.h>

#include <atomic>
#include <thread>

namespace aiw::testing {
namespace {

using Status = engine::JobResult::Status;

std::string http_pipeline(const std::string& url, const std::string& extra = "") {
  return "name: http\nversion: \"1\"\nstages:\n  - id: call\n    uses: testkit.http\n" + extra +
         "    with: { url: \"" + url + "\", method: POST, body: { job: \"${job.id}\" } }\n";
}

TEST(EngineHttp, HttpStageOutputsStatusAndParsedBody) {
  fakes::HttpServer server;
  server.route("POST", "/classify", [](const fakes::Request& req, fakes::Response& res) {
    res.body = R"({"label":"salad","echo":)" + req.body + "}";
  });
  auto engine = make_engine(http_pipeline(server.url("/classify")));
  auto r = run_job(*engine, "{}", "job-42");
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json out;
  ASSERT_TRUE(parse_json(r.result_json, out));
  EXPECT_EQ(out["status"].GetInt(), 200);
  EXPECT_STREQ(out["body"]["label"].GetString(), "salad");
  EXPECT_STREQ(out["body"]["echo"]["job"].GetString(), "job-42");
}

TEST(EngineHttp, ServerErrorIsRetryableAndNotFoundIsPermanent) {
  fakes::HttpServer server;
  server.route("POST", "/busy", [](const fakes::Request&, fakes::Response& res) { res.status = 503; });
  server.route("POST", "/gone", [](const fakes::Request&, fakes::Response& res) { res.status = 404; });
  auto busy = run_job(*make_engine(http_pipeline(server.url("/busy"))));
  EXPECT_EQ(busy.status, Status::kFailed);
  EXPECT_EQ(busy.error_kind, engine::ErrorKind::kRetryable);
  auto gone = run_job(*make_engine(http_pipeline(server.url("/gone"))));
  EXPECT_EQ(gone.status, Status::kFailed);
  EXPECT_EQ(gone.error_kind, engine::ErrorKind::kPermanent);
}

TEST(EngineHttp, RateLimitCarriesRetryAfterToTheJobResult) {
  fakes::HttpServer server;
  server.route("POST", "/limited", [](const fakes::Request&, fakes::Response& res) {
    res.status = 429;
    res.headers.emplace_back("Retry-After", "7");
  });
  auto r = run_job(*make_engine(http_pipeline(server.url("/limited"))));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_EQ(r.retry_after_ms, 7000);
}

TEST(EngineHttp, StageRetryRecoversFromTransientServerErrors) {
  fakes::HttpServer server;
  std::atomic<int> calls{0};
  server.route("POST", "/flaky", [&](const fakes::Request&, fakes::Response& res) {
    if (calls.fetch_add(1) < 2) res.status = 503;
    else res.body = R"({"ok":true})";
  });
  auto engine = make_engine(
      http_pipeline(server.url("/flaky"), "    retry: { max_attempts: 3, delay: 10ms }\n"));
  auto r = run_job(*engine);
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(stage_of(r, "call").attempts, 3);
  EXPECT_EQ(calls.load(), 3);
}

TEST(EngineHttp, CancelAbortsTheRequestInFlight) {
  fakes::HttpServer server;
  server.route("POST", "/hang", [](const fakes::Request&, fakes::Response& res) { res.hang = true; });
  auto engine = make_engine(http_pipeline(server.url("/hang")));
  engine::JobResult result;
  engine::JobHandle handle = start_job(*engine, result, "c");
  while (server.requests_received() == 0) std::this_thread::yield();
  handle.cancel("the user cancelled");
  engine->wait_idle();
  EXPECT_EQ(result.status, Status::kCancelled);
  EXPECT_EQ(stage_of(result, "call").status, "aborted");
  EXPECT_EQ(net::IoLoop::shared().requests_in_flight(), 0u);
}

TEST(EngineHttp, StageTimeoutAbortsTheRequestInFlight) {
  fakes::HttpServer server;
  server.route("POST", "/hang", [](const fakes::Request&, fakes::Response& res) { res.hang = true; });
  auto engine = make_engine(http_pipeline(server.url("/hang"), "    timeout: 150ms\n"));
  auto r = run_job(*engine);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_NE(r.error.find("timeout of 150 ms"), std::string::npos) << r.error;
  EXPECT_EQ(net::IoLoop::shared().requests_in_flight(), 0u);
}

TEST(EngineHttp, ConnectionRefusedIsRetryableWithTheReason) {
  auto r = run_job(*make_engine(http_pipeline("http://127.0.0.1:9/nothing")));
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_NE(r.error.find("refused"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace aiw::testing
