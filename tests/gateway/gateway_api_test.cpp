// The gateway's API end to end: 202 and polling, fallback, flags and canary at run time,
// premium priority, limits, cancel and retry, listing, events, health and metrics.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "gateway_test_support.h"

namespace aiw::testing {
namespace {

TEST_F(GatewayTest, PostAnswers202WithIdAndLocationAndTheWorkerCompletesTheJob) {
  pipeline("echo", kEchoPipeline);
  auto worker = start_worker();
  auto gw = start_gateway();
  wait_live_worker("echo");
  std::string user = add_user();
  Http r = request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"echo","input":{"x":7}})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id = field(r.body, "id");
  EXPECT_EQ(field(r.body, "status"), "pending");
  EXPECT_EQ(field(r.body, "location"), "/v1/jobs/" + id);
  EXPECT_EQ(r.header("Location"), "/v1/jobs/" + id);
  EXPECT_EQ(field(r.body, "poll_after_ms"), "2000");
  Http job;
  ASSERT_TRUE(eventually([&] {
    job = request("GET", base_ + "/v1/jobs/" + id, user_token(user));
    return field(job.body, "status") == "completed";
  })) << job.body;
  EXPECT_EQ(field(job.body, "result"), R"({"value":7})");
  EXPECT_EQ(field(job.body, "run_by"), "worker");
  EXPECT_NE(field(job.body, "timings"), "");
}

TEST_F(GatewayTest, WithTheFlagOffTheGatewayRunsThePipelineItselfAndAnswers200) {
  pipeline("echo", kEchoPipeline);
  auto worker = start_worker();
  auto gw = start_gateway({{"GATEWAY_ASYNC_DEFAULT", "false"}});
  std::string user = add_user();
  Http r = request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"echo","input":{"x":3}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(field(r.body, "status"), "completed");
  EXPECT_EQ(field(r.body, "run_by"), "gateway");
  EXPECT_EQ(field(r.body, "result"), R"({"value":3})");
  EXPECT_EQ(scalar("select status || ' ' || run_by || ' ' || (worker_id like 'gateway/%') from analysis_jobs"),
            "completed gateway true");
}

TEST_F(GatewayTest, WithNoLiveWorkerTheGatewayFallsBackToRunningInProcess) {
  pipeline("echo", kEchoPipeline);
  auto gw = start_gateway();  // flag on, but nobody serves the type
  std::string user = add_user();
  Http r = request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"echo","input":{"x":1}})");
  ASSERT_EQ(r.status, 200) << r.body << gw->log();
  EXPECT_EQ(field(r.body, "run_by"), "gateway");
}

TEST_F(GatewayTest, FlagsChangeAtRunTimeWithoutARestartAndCanaryZeroMeansNobody) {
  pipeline("echo", kEchoPipeline);
  auto worker = start_worker();
  auto gw = start_gateway({{"GATEWAY_ASYNC_DEFAULT", "false"}});
  std::string user = add_user();
  auto post = [&] { return request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"echo","input":{"x":1}})"); };
  EXPECT_EQ(post().status, 200);
  Http put = request("PUT", base_ + "/v1/admin/flags/echo", service_token(), R"({"async_enabled":true})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_TRUE(eventually([&] { return post().status == 202; }, std::chrono::seconds(10)));
  ASSERT_EQ(request("PUT", base_ + "/v1/admin/flags/echo", service_token(), R"({"canary_percent":0})").status, 200);
  EXPECT_TRUE(eventually([&] { return post().status == 200; }, std::chrono::seconds(10)));
  Http flags = request("GET", base_ + "/v1/admin/flags", service_token());
  EXPECT_NE(flags.body.find(R"("type":"echo","async_enabled":true,"canary_percent":0,"source":"table")"), std::string::npos)
      << flags.body;
  // Rollback: flag off again.
  ASSERT_EQ(request("PUT", base_ + "/v1/admin/flags/echo", service_token(), R"({"async_enabled":false,"canary_percent":100})").status, 200);
}

TEST_F(GatewayTest, PremiumUsersGetHighPriorityAndOthersCannotRaiseTheirs) {
  pipeline("echo", kEchoPipeline);
  auto worker = start_worker();
  auto gw = start_gateway();
  wait_live_worker("echo");
  std::string premium = add_user(), normal = add_user();
  Http p = request("POST", base_ + "/v1/jobs", user_token(premium, R"("app_metadata":{"plan":"premium"})"),
                   R"({"type":"echo","input":{"x":1}})");
  ASSERT_EQ(p.status, 202) << p.body;
  EXPECT_EQ(scalar("select priority from analysis_jobs where id = '" + field(p.body, "id") + "'"), "1");
  Http n = request("POST", base_ + "/v1/jobs", user_token(normal), R"({"type":"echo","input":{"x":1},"priority":1})");
  EXPECT_EQ(n.status, 403) << n.body;
  EXPECT_EQ(field(n.body, "error").find("premium") != std::string::npos, true) << n.body;
}

TEST_F(GatewayTest, EleventhActiveJobOfAUserIs429WithASentence) {
  pipeline("slow", kSlowPipeline);
  auto worker = start_worker({{"WORKER_CONCURRENCY", "1"}});
  auto gw = start_gateway();
  wait_live_worker("slow");
  std::string user = add_user();
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0}, limited{0};
  for (int i = 0; i < 15; ++i)
    threads.emplace_back([&] {
      Http r = request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"slow","input":{"ms":30000}})");
      if (r.status == 202) ++accepted;
      if (r.status == 429 && r.body.find("the most allowed") != std::string::npos) ++limited;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 10);
  EXPECT_EQ(limited.load(), 5);
}

TEST_F(GatewayTest, ARepeatedIdempotencyKeyStoresOneJobAndAnswersWithThatJob) {
  pipeline("echo", kEchoPipeline);
  auto worker = start_worker();
  auto gw = start_gateway();
  wait_live_worker("echo");
  std::string user = add_user(), other = add_user();
  const std::string body = R"({"type":"echo","input":{"x":7}})";
  auto post = [&](const std::string& who, const std::string& json, const std::string& key) {
    return request("POST", base_ + "/v1/jobs", user_token(who), json, "application/json", 20000,
                   {"Idempotency-Key: " + key});
  };
  Http first = post(user, body, "order-42");
  ASSERT_EQ(first.status, 202) << first.body;
  std::string id = field(first.body, "id");

  Http again = post(user, R"({"input":{"x":7},"type":"echo"})", "order-42");  // same job, other key order
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(field(again.body, "id"), id);
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(again.header("Location"), "/v1/jobs/" + id);
  EXPECT_EQ(scalar("select count(*) from analysis_jobs where user_id = '" + user + "'"), "1");

  Http reused = post(user, R"({"type":"echo","input":{"x":8}})", "order-42");
  EXPECT_EQ(reused.status, 422) << reused.body;
  EXPECT_NE(reused.body.find(id), std::string::npos) << reused.body;

  Http someone_else = post(other, body, "order-42");  // keys are per user
  ASSERT_EQ(someone_else.status, 202) << someone_else.body;
  EXPECT_NE(field(someone_else.body, "id"), id);

  Http no_key = request("POST", base_ + "/v1/jobs", user_token(user), body);
  EXPECT_EQ(no_key.status, 202) << no_key.body;
  EXPECT_EQ(scalar("select count(*) from analysis_jobs where user_id = '" + user + "'"), "2");

  // Still the same job once it has finished: the replay shows it as it is now.
  ASSERT_TRUE(eventually([&] {
    return scalar("select status from analysis_jobs where id = '" + id + "'") == "completed";
  }));
  Http later = post(user, body, "order-42");
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(field(later.body, "status"), "completed");
  EXPECT_EQ(field(later.body, "result"), R"({"value":7})");
}

TEST_F(GatewayTest, ConcurrentRequestsWithOneIdempotencyKeyStoreOneJob) {
  pipeline("slow", kSlowPipeline);
  auto worker = start_worker({{"WORKER_CONCURRENCY", "1"}});
  auto gw = start_gateway();
  wait_live_worker("slow");
  std::string user = add_user();
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<Http> answers;
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&] {
      Http r = request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"slow","input":{"ms":30000}})",
                       "application/json", 20000, {"Idempotency-Key: one-click"});
      std::lock_guard lock(mu);
      answers.push_back(r);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(scalar("select count(*) from analysis_jobs where user_id = '" + user + "'"), "1");
  std::string id = scalar("select id from analysis_jobs where user_id = '" + user + "'");
  int created = 0;
  for (const Http& r : answers) {
    if (r.status == 202) ++created;
    if (r.status == 202 || r.status == 200)
      EXPECT_EQ(field(r.body, "id"), id) << r.body;
    else
      EXPECT_EQ(r.status, 409) << r.body;  // sent in the same batch as the first
  }
  EXPECT_EQ(created, 1);
}

TEST_F(GatewayTest, WithTheFlagOffARepeatedIdempotencyKeyAnswersTheFirstRunWithoutRunningAgain) {
  pipeline("echo", kEchoPipeline);
  auto gw = start_gateway({{"GATEWAY_ASYNC_DEFAULT", "false"}});
  std::string user = add_user();
  auto post = [&] {
    return request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"echo","input":{"x":3}})",
                   "application/json", 20000, {"Idempotency-Key: 5b0d1c1e-run-once"});
  };
  Http first = post();
  ASSERT_EQ(first.status, 200) << first.body;
  Http again = post();
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(field(again.body, "id"), field(first.body, "id"));
  EXPECT_EQ(field(again.body, "result"), R"({"value":3})");
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(scalar("select count(*) || ' ' || max(attempts) from analysis_jobs"), "1 1");
}

TEST_F(GatewayTest, PerAddressRateLimitAnswers429WithRetryAfter) {
  pipeline("echo", kEchoPipeline);
  auto gw = start_gateway({{"RATE_LIMIT_PER_MINUTE", "5"}});
  std::string token = user_token(add_user());
  for (int i = 0; i < 5; ++i) EXPECT_NE(request("GET", base_ + "/v1/jobs", token).status, 429);
  Http r = request("GET", base_ + "/v1/jobs", token);
  EXPECT_EQ(r.status, 429);
  EXPECT_GE(std::stoi(r.header("Retry-After").empty() ? "0" : r.header("Retry-After")), 1);
}

TEST_F(GatewayTest, CancelAPendingJobThenRetryItAndItCompletes) {
  pipeline("echo", kEchoPipeline);
  auto worker = start_worker();
  auto gw = start_gateway();
  wait_live_worker("echo");
  std::string user = add_user();
  // A pending job the worker will not pick yet: enqueue with a delay through the store.
  auto s = store("client");
  queue::NewJob later = job(user, "echo", R"({"x":5})");
  later.run_after_ms = 60000;
  std::string id = s->enqueue(std::span(&later, 1)).at(0);
  Http c = request("POST", base_ + "/v1/jobs/" + id + "/cancel", user_token(user));
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(status_of(id), "cancelled");
  Http again = request("POST", base_ + "/v1/jobs/" + id + "/cancel", user_token(user));
  EXPECT_EQ(again.status, 409) << again.body;
  exec("update analysis_jobs set run_after = now()");
  Http retry = request("POST", base_ + "/v1/jobs/" + id + "/retry", user_token(user));
  ASSERT_EQ(retry.status, 200) << retry.body;
  ASSERT_TRUE(wait_status(id, "completed"));
}

TEST_F(GatewayTest, RetryOfARunningJobAndCancelOfACompletedJobAre409) {
  pipeline("slow", kSlowPipeline);
  pipeline("echo", kEchoPipeline);
  auto worker = start_worker();
  auto gw = start_gateway();
  wait_live_worker("slow");
  std::string user = add_user();
  Http slow = request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"slow","input":{"ms":30000}})");
  std::string running = field(slow.body, "id");
  ASSERT_TRUE(wait_status(running, "processing"));
  Http r = request("POST", base_ + "/v1/jobs/" + running + "/retry", user_token(user));
  EXPECT_EQ(r.status, 409) << r.body;
  Http done = request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"echo","input":{"x":1}})");
  std::string completed = field(done.body, "id");
  ASSERT_TRUE(wait_status(completed, "completed"));
  Http c = request("POST", base_ + "/v1/jobs/" + completed + "/cancel", user_token(user));
  EXPECT_EQ(c.status, 409);
  EXPECT_NE(c.body.find("already completed"), std::string::npos) << c.body;
  // Cancel of the running one works and it stays cancelled.
  EXPECT_EQ(request("POST", base_ + "/v1/jobs/" + running + "/cancel", user_token(user)).status, 200);
  EXPECT_TRUE(worker->wait_for_log("job cancelled while running", std::chrono::seconds(5)));
  EXPECT_EQ(status_of(running), "cancelled");
}

TEST_F(GatewayTest, ListShowsOnlyOwnJobsAndPagesWithACursor) {
  pipeline("echo", kEchoPipeline);
  auto gw = start_gateway();
  std::string alice = add_user(), bob = add_user();
  auto s = store("client");
  std::vector<queue::NewJob> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(job(alice, "echo", R"({"x":1})"));
  jobs.push_back(job(bob, "echo", R"({"x":1})"));
  for (const auto& j : jobs) s->enqueue(std::span(&j, 1));
  Http page1 = request("GET", base_ + "/v1/jobs?limit=3", user_token(alice));
  ASSERT_EQ(page1.status, 200) << page1.body;
  std::string cursor = field(page1.body, "next_cursor");
  ASSERT_FALSE(cursor.empty());
  Http page2 = request("GET", base_ + "/v1/jobs?limit=3&cursor=" + cursor, user_token(alice));
  ASSERT_EQ(page2.status, 200) << page2.body;
  Json p1, p2;
  parse_json(page1.body, p1);
  parse_json(page2.body, p2);
  EXPECT_EQ(p1["jobs"].Size(), 3u);
  EXPECT_EQ(p2["jobs"].Size(), 2u);
  EXPECT_TRUE(p2["next_cursor"].IsNull());
  Http bobs = request("GET", base_ + "/v1/jobs?status=pending", user_token(bob));
  Json b;
  parse_json(bobs.body, b);
  EXPECT_EQ(b["jobs"].Size(), 1u);
  Http bad = request("GET", base_ + "/v1/jobs?status=done", user_token(bob));
  EXPECT_EQ(bad.status, 400);
}

TEST_F(GatewayTest, EventsStreamProgressAndTheResultThenEnd) {
  pipeline("steps", R"(
name: steps
version: "1"
input: { type: object }
stages:
  - { id: one, uses: testkit.sleep, with: { ms: 300, output: { a: 1 } } }
  - { id: two, uses: testkit.sleep, needs: [one], with: { ms: 300, output: { b: 2 } } }
)");
  auto worker = start_worker();
  auto gw = start_gateway();
  wait_live_worker("steps");
  std::string user = add_user();
  Http r = request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"steps","input":{}})");
  ASSERT_EQ(r.status, 202);
  std::string id = field(r.body, "id");
  Http events = request("GET", base_ + "/v1/jobs/" + id + "/events", user_token(user), "", "", 30000);
  EXPECT_EQ(events.status, 200);
  EXPECT_NE(events.header("Content-Type").find("text/event-stream"), std::string::npos);
  EXPECT_NE(events.body.find("event: result"), std::string::npos) << events.body;
  EXPECT_NE(events.body.find(R"("status": "completed")"), std::string::npos) << events.body;
  // The stream ended by itself on the final status (the request returned). Asked again, the
  // finished job answers its final event at once.
  Http again = request("GET", base_ + "/v1/jobs/" + id + "/events", user_token(user), "", "", 10000);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body.rfind("event: result\n", 0), 0u) << again.body;
}

TEST_F(GatewayTest, HealthIs503WhileTheDatabaseIsAwayAndRecovers) {
  pipeline("echo", kEchoPipeline);
  auto gw = start_gateway();
  EXPECT_TRUE(eventually([&] { return request("GET", base_ + "/health").status == 200; }));
  std::string user = add_user();
  admin_.reset();
  PostgresServer::shared().stop();
  EXPECT_TRUE(eventually([&] { return request("GET", base_ + "/health").status == 503; }, std::chrono::seconds(10)));
  Http during = request("GET", base_ + "/v1/jobs", user_token(user));
  EXPECT_EQ(during.status, 503) << during.body;
  EXPECT_FALSE(during.header("Retry-After").empty());
  PostgresServer::shared().start();
  EXPECT_TRUE(eventually([&] { return request("GET", base_ + "/health").status == 200; }, std::chrono::seconds(30)));
  EXPECT_TRUE(eventually([&] { return request("GET", base_ + "/v1/jobs", user_token(user)).status == 200; },
                         std::chrono::seconds(30)))
      << request("GET", base_ + "/v1/jobs", user_token(user)).body << gw->log().substr(0, 3000);
}

TEST_F(GatewayTest, MetricsSplitGatewayLatencyAndQueueDepth) {
  pipeline("echo", kEchoPipeline);
  auto gw = start_gateway();
  std::string user = add_user();
  request("POST", base_ + "/v1/jobs", user_token(user), R"({"type":"echo","input":{"x":1}})");
  Http m;
  ASSERT_TRUE(eventually([&] {
    m = request("GET", base_ + "/metrics");
    return m.body.find(R"(aiw_gateway_request_duration_seconds_count{route="POST /v1/jobs"} 1)") != std::string::npos;
  })) << m.body;
  EXPECT_NE(m.body.find("aiw_live_workers 0"), std::string::npos);
  EXPECT_NE(m.body.find(R"(aiw_gateway_jobs_accepted_total{type="echo",path="fallback"} 1)"), std::string::npos) << m.body;
}

TEST_F(GatewayTest, LogsNeverContainTokensOrInputs) {
  pipeline("echo", kEchoPipeline);
  auto gw = start_gateway({{"LOG_LEVEL", "debug"}});
  std::string user = add_user();
  std::string token = user_token(user);
  request("POST", base_ + "/v1/jobs", token, R"({"type":"echo","input":{"x":987654321}})");
  request("POST", base_ + "/v1/jobs", token + "x", R"({"type":"echo","input":{"x":987654321}})");
  std::string log = gw->log();
  EXPECT_EQ(log.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  EXPECT_EQ(log.find(token.substr(0, 40)), std::string::npos);
  EXPECT_EQ(log.find("987654321"), std::string::npos);
  EXPECT_EQ(log.find(kSecret), std::string::npos);
}

}  // namespace
}  // namespace aiw::testing
