// The worker under failure: many workers on one queue, a worker killed mid-job, PostgreSQL
// restarted mid-run, SIGTERM drains, stuck jobs, health and metrics while the database is away.
#include <gtest/gtest.h>

#include <mutex>
#include <unordered_map>

#include "fakes/http_server.h"
#include "worker_test_support.h"

namespace aiw::testing {
namespace {

TEST_F(WorkerTest, ThreeWorkersRunFiveThousandJobsEachExactlyOnce) {
  // Every run of a job calls this server with the job id: a job run twice would show twice.
  fakes::HttpServer server(2);
  std::mutex mu;
  std::unordered_map<std::string, int> runs;
  server.route("POST", "/run", [&](const fakes::Request& request, fakes::Response& response) {
    std::lock_guard lock(mu);
    ++runs[request.body];
    response.body = "{}";
  });
  pipeline("counted", R"(
name: counted
version: "1"
stages:
  - id: call
    uses: testkit.http
    with: { url: ")" + server.url("/run") + R"(", method: POST, body: "${job.id}" }
)");
  no_user_limit();
  std::string user = add_user();
  auto s = store("client");
  std::vector<queue::NewJob> jobs(5000, job(user, "counted"));
  s->enqueue(jobs);
  std::map<std::string, std::string> env = {{"WORKER_CONCURRENCY", "100"},
                                            {"WORKER_HEARTBEAT_INTERVAL_MS", "500"},
                                            {"WORKER_LEASE_MS", "10000"}};
  auto a = start_worker(env), b = start_worker(env), c = start_worker(env);
  ASSERT_TRUE(eventually([&] { return scalar("select count(*) from analysis_jobs where status = 'completed'") == "5000"; },
                         std::chrono::seconds(120)))
      << scalar("select string_agg(status || ':' || n, ' ') from (select status, count(*) n from analysis_jobs group by status) t");
  EXPECT_EQ(scalar("select count(*) from analysis_jobs where attempts <> 1"), "0");
  std::lock_guard lock(mu);
  EXPECT_EQ(runs.size(), 5000u);
  int twice = 0;
  for (const auto& [id, n] : runs) twice += n != 1;
  EXPECT_EQ(twice, 0);
  // All three took part.
  EXPECT_EQ(scalar("select count(distinct worker_id) from analysis_jobs"), "3");
}

TEST_F(WorkerTest, JobOfAWorkerKilledMidJobIsRecoveredAndCompletedByAnother) {
  pipeline("slow", kSlow);
  auto doomed = start_worker({{"WORKER_ID", "doomed"}});
  std::string id = enqueue_one(add_user(), "slow", R"({"ms": 1500})");
  ASSERT_TRUE(wait_status(id, "processing"));
  doomed->signal(SIGKILL);
  doomed->wait_exit(std::chrono::seconds(10));
  auto rescuer = start_worker({{"WORKER_ID", "rescuer"}});
  ASSERT_TRUE(wait_status(id, "completed", std::chrono::seconds(60))) << rescuer->log();
  EXPECT_EQ(scalar("select attempts from analysis_jobs"), "2");
  EXPECT_EQ(scalar("select worker_id like 'rescuer/%' from analysis_jobs"), "t");
  EXPECT_NE(rescuer->log().find("gave back a job of a dead or stuck worker"), std::string::npos);
}

TEST_F(WorkerTest, WorkersSurviveAPostgresRestartAndFinishEveryJob) {
  pipeline("slow", kSlow);
  no_user_limit();
  std::string user = add_user();
  auto s = store("client");
  std::vector<queue::NewJob> jobs(1500, job(user, "slow", R"({"ms": 5})"));
  s->enqueue(jobs);
  s.reset();
  std::map<std::string, std::string> env = {{"WORKER_CONCURRENCY", "20"}, {"WORKER_LEASE_MS", "3000"},
                                            {"WORKER_HEARTBEAT_INTERVAL_MS", "300"}};
  auto a = start_worker(env), b = start_worker(env);
  ASSERT_TRUE(eventually([&] { return std::stoi(scalar("select count(*) from analysis_jobs where status = 'completed'")) >= 200; }));
  admin_.reset();
  PostgresServer::shared().stop();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  int port_a = port_of(*a);
  EXPECT_EQ(http_get("http://127.0.0.1:" + std::to_string(port_a) + "/health").status, 503);
  PostgresServer::shared().start();
  ASSERT_TRUE(eventually([&] { return scalar("select count(*) from analysis_jobs where status = 'completed'") == "1500"; },
                         std::chrono::seconds(120)))
      << a->log().substr(0, 4000);
  EXPECT_TRUE(a->running());
  EXPECT_TRUE(b->running());
  EXPECT_TRUE(eventually([&] { return http_get("http://127.0.0.1:" + std::to_string(port_a) + "/health").status == 200; }));
}

TEST_F(WorkerTest, SigtermLetsRunningJobsFinishThenExits) {
  pipeline("slow", kSlow);
  auto worker = start_worker();
  std::string id = enqueue_one(add_user(), "slow", R"({"ms": 800})");
  ASSERT_TRUE(wait_status(id, "processing"));
  worker->signal(SIGTERM);
  ASSERT_TRUE(worker->wait_for_log("stop signal received", std::chrono::seconds(10)));
  // While draining, no new job is claimed.
  std::string late = enqueue_one(add_user(), "slow", R"({"ms": 1})");
  auto code = worker->wait_exit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << worker->log();
  EXPECT_EQ(status_of(id), "completed");
  EXPECT_EQ(status_of(late), "pending");
  EXPECT_EQ(scalar("select status from aiw_workers"), "stopped");
}

TEST_F(WorkerTest, SigtermGivesBackJobsThatOutlastTheDrainTimeout) {
  pipeline("slow", kSlow);
  auto worker = start_worker({{"WORKER_DRAIN_TIMEOUT_MS", "300"}});
  std::string id = enqueue_one(add_user(), "slow", R"({"ms": 60000})");
  ASSERT_TRUE(wait_status(id, "processing"));
  worker->signal(SIGTERM);
  auto code = worker->wait_exit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value()) << "the worker did not exit:\n" << worker->log();
  EXPECT_EQ(*code, 0) << worker->log();
  EXPECT_EQ(scalar("select status || ' ' || attempts || ' ' || (worker_id is null) from analysis_jobs"), "pending 0 true");
}

TEST_F(WorkerTest, JobPastTheStuckTimeoutIsAbortedAndRetriedOrFailed) {
  pipeline("slow", kSlow);
  auto worker = start_worker({{"WORKER_STUCK_JOB_TIMEOUT_MS", "300"}});
  std::string id = enqueue_one(add_user(), "slow", R"({"ms": 60000})", 2);
  ASSERT_TRUE(wait_status(id, "failed", std::chrono::seconds(30))) << worker->log();
  EXPECT_EQ(scalar("select attempts from analysis_jobs"), "2");
  EXPECT_NE(scalar("select error from analysis_jobs").find("deadline of 300 ms"), std::string::npos)
      << scalar("select error from analysis_jobs");
}

TEST_F(WorkerTest, HealthAndMetricsDescribeTheWorker) {
  pipeline("slow", kSlow);
  auto worker = start_worker();
  std::string base = "http://127.0.0.1:" + std::to_string(port_of(*worker));
  std::string id = enqueue_one(add_user(), "slow", R"({"ms": 1})");
  ASSERT_TRUE(wait_status(id, "completed"));
  HttpReply health = http_get(base + "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find(R"("status":"ok")"), std::string::npos) << health.body;
  HttpReply metrics;
  ASSERT_TRUE(eventually([&] {
    metrics = http_get(base + "/metrics");
    return metrics.body.find(R"(aiw_jobs_completed_total{type="slow"} 1)") != std::string::npos;
  })) << metrics.body;
  EXPECT_NE(metrics.body.find(R"(aiw_jobs_claimed_total{type="slow"} 1)"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(aiw_queue_wait_seconds_bucket{type="slow",le="+Inf"} 1)"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(aiw_stage_succeeded_total{pipeline="slow",stage="wait",uses="testkit.sleep"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("aiw_database_up 1"), std::string::npos);
}

TEST_F(WorkerTest, FinishedJobsOlderThanTheRetentionArePruned) {
  pipeline("slow", kSlow);
  no_user_limit();
  std::string user = add_user();
  auto s = store("client");
  std::vector<queue::NewJob> jobs(3, job(user, "slow"));
  auto ids = s->enqueue(jobs);
  exec("update analysis_jobs set status = 'completed', completed_at = now() - interval '2 days' where id <> '" +
       ids[2] + "'");
  exec("update analysis_jobs set status = 'completed', completed_at = now() where id = '" + ids[2] + "'");
  auto worker = start_worker({{"WORKER_RETENTION_DAYS", "1"}});
  EXPECT_TRUE(eventually([&] { return scalar("select count(*) from analysis_jobs") == "1"; })) << worker->log();
  EXPECT_EQ(scalar("select id from analysis_jobs"), ids[2]);
}

}  // namespace
}  // namespace aiw::testing
