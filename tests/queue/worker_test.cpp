// `aiw worker` end to end on a real PostgreSQL: jobs run, retry, fail, cancel, hit the cache;
// priority and run-after are respected; bad configuration stops start-up with a sentence.
#include <gtest/gtest.h>

#include <regex>

#include "support/process.h"
#include "worker_test_support.h"

namespace aiw::testing {
namespace {

constexpr const char* kEcho = R"(
name: echo
version: "1"
stages:
  - { id: say, uses: testkit.echo, with: { value: "${input.x}" } }
)";

TEST_F(WorkerTest, EnqueuedJobIsCompletedWithResultProgressAndWorker) {
  pipeline("echo", kEcho);
  auto worker = start_worker({{"WORKER_ID", "alpha"}});
  std::string id = enqueue_one(add_user(), "echo", R"({"x": 42})");
  ASSERT_TRUE(wait_status(id, "completed")) << worker->log();
  EXPECT_EQ(scalar("select result::text from analysis_jobs"), R"({"value": 42})");
  EXPECT_EQ(scalar("select progress->>'percent' from analysis_jobs"), "100");
  EXPECT_EQ(scalar("select worker_id like 'alpha/%' and attempts = 1 and processing_time_ms >= 0 "
                   "and timings->0->>'stage' = 'say' from analysis_jobs"),
            "t");
}

// ${job.user_id} is the row's user_id, not anything the input claims: what a pipeline saves
// for a user (persist.row) cannot be written under another user's id.
TEST_F(WorkerTest, TheJobsOwnerReachesThePipelineAsJobUserId) {
  pipeline("owner", R"(
name: owner
version: "1"
stages:
  - { id: say, uses: testkit.echo, with: { value: { owner: "${job.user_id}", claimed: "${input.userId}" } } }
)");
  auto worker = start_worker();
  const std::string user = add_user();
  std::string id = enqueue_one(user, "owner", R"({"userId": "someone-else"})");
  ASSERT_TRUE(wait_status(id, "completed")) << worker->log();
  EXPECT_EQ(scalar("select result->'value'->>'owner' from analysis_jobs"), user);
  EXPECT_EQ(scalar("select result->'value'->>'claimed' from analysis_jobs"), "someone-else");
}

TEST_F(WorkerTest, PermanentErrorFailsAtOnceWithTheStagesSentence) {
  pipeline("broken", R"(
name: broken
version: "1"
stages:
  - { id: parse, uses: testkit.fail, with: { kind: permanent, message: "the answer is not JSON" } }
)");
  auto worker = start_worker();
  std::string id = enqueue_one(add_user(), "broken");
  ASSERT_TRUE(wait_status(id, "failed")) << worker->log();
  EXPECT_EQ(scalar("select attempts from analysis_jobs"), "1");
  EXPECT_NE(scalar("select error from analysis_jobs").find("the answer is not JSON"), std::string::npos);
  EXPECT_NE(scalar("select error from analysis_jobs").find("parse"), std::string::npos);
}

TEST_F(WorkerTest, RetryableErrorIsRetriedWithGrowingDelaysThenFails) {
  pipeline("flaky", R"(
name: flaky
version: "1"
stages:
  - { id: call, uses: testkit.fail, with: { kind: retryable, message: "model overloaded" } }
)");
  auto worker = start_worker({{"WORKER_RETRY_DELAY_MS", "150"}});
  std::string id = enqueue_one(add_user(), "flaky", "{}", 3);
  ASSERT_TRUE(wait_status(id, "failed")) << worker->log();
  EXPECT_EQ(scalar("select attempts from analysis_jobs"), "3");
  EXPECT_NE(scalar("select error from analysis_jobs").find("model overloaded (gave up after 3 attempts)"),
            std::string::npos)
      << scalar("select error from analysis_jobs");
  // The delays the worker chose: base x 2^(attempt-1) with +-25 % jitter, so each is longer.
  std::string log = worker->log();
  std::vector<int> delays;
  std::regex retry(R"re("retry_in_ms":"(\d+)")re");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), retry); it != std::sregex_iterator(); ++it)
    delays.push_back(std::stoi((*it)[1]));
  ASSERT_EQ(delays.size(), 2u) << log;
  EXPECT_GE(delays[0], 112);
  EXPECT_LE(delays[0], 188);
  EXPECT_GT(delays[1], delays[0]);
  EXPECT_GE(delays[1], 225);
}

TEST_F(WorkerTest, RetryAfterFromTheStageWinsOverTheBackoff) {
  pipeline("limited", R"(
name: limited
version: "1"
stages:
  - { id: call, uses: testkit.fail, with: { kind: retryable, message: "rate limited", retry_after_ms: 700 } }
)");
  auto worker = start_worker({{"WORKER_RETRY_DELAY_MS", "100"}});
  std::string id = enqueue_one(add_user(), "limited", "{}", 2);
  ASSERT_TRUE(wait_status(id, "failed")) << worker->log();
  EXPECT_NE(worker->log().find("\"retry_in_ms\":\"700\""), std::string::npos) << worker->log();
}

TEST_F(WorkerTest, HigherPriorityJobsRunFirst) {
  pipeline("echo", kEcho);
  no_user_limit();
  std::string user = add_user();
  auto s = store("client");
  std::vector<queue::NewJob> jobs;
  for (int p : {9, 5, 1, 7, 3}) jobs.push_back(job(user, "echo", R"({"x":)" + std::to_string(p) + "}", p));
  s->enqueue(jobs);
  auto worker = start_worker({{"WORKER_CONCURRENCY", "1"}});
  ASSERT_TRUE(eventually([&] { return scalar("select count(*) from analysis_jobs where status = 'completed'") == "5"; }))
      << worker->log();
  EXPECT_EQ(scalar("select string_agg(priority::text, ',' order by started_at) from analysis_jobs"), "1,3,5,7,9");
}

TEST_F(WorkerTest, JobIsNotStartedBeforeItsRunAfter) {
  pipeline("echo", kEcho);
  auto worker = start_worker();
  auto s = store("client");
  queue::NewJob later = job(add_user(), "echo", R"({"x":1})");
  later.run_after_ms = 1500;
  std::string id = s->enqueue(std::span(&later, 1)).at(0);
  ASSERT_TRUE(wait_status(id, "completed")) << worker->log();
  EXPECT_EQ(scalar("select started_at >= run_after from analysis_jobs"), "t");
}

TEST_F(WorkerTest, CancelledPendingJobNeverRuns) {
  pipeline("echo", kEcho);
  auto s = store("client");
  queue::NewJob later = job(add_user(), "echo", R"({"x":1})");
  later.run_after_ms = 500;
  std::string id = s->enqueue(std::span(&later, 1)).at(0);
  ASSERT_TRUE(s->cancel(id));
  auto worker = start_worker();
  std::string other = enqueue_one(add_user(), "echo", R"({"x":2})");
  ASSERT_TRUE(wait_status(other, "completed"));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // past its run_after
  EXPECT_EQ(status_of(id), "cancelled");
  EXPECT_EQ(scalar("select attempts from analysis_jobs where id = '" + id + "'"), "0");
}

TEST_F(WorkerTest, CancelOfARunningJobAbortsItAndItStaysCancelled) {
  pipeline("slow", kSlow);
  auto worker = start_worker();
  std::string id = enqueue_one(add_user(), "slow", R"({"ms": 60000})");
  ASSERT_TRUE(wait_status(id, "processing"));
  ASSERT_TRUE(store("client")->cancel(id));
  // The worker hears the NOTIFY and aborts the job (the sleep's timer is cancelled) at once.
  EXPECT_TRUE(worker->wait_for_log("job cancelled while running; aborting it", std::chrono::seconds(5)))
      << worker->log();
  EXPECT_TRUE(eventually([&] { return scalar("select in_flight from aiw_workers") == "0"; }, std::chrono::seconds(10)));
  EXPECT_EQ(status_of(id), "cancelled");
  EXPECT_EQ(scalar("select result is null from analysis_jobs"), "t");
}

TEST_F(WorkerTest, SameInputInAnyKeyOrderIsAnsweredFromTheCacheUntilItExpires) {
  pipeline("cached", R"(
name: cached
version: "1"
cache: { enabled: true, ttl: 1h }
stages:
  - { id: say, uses: testkit.echo, with: { a: "${input.a}", b: "${input.b}" } }
)");
  auto worker = start_worker();
  std::string user = add_user();
  std::string first = enqueue_one(user, "cached", R"({"a": 1, "b": [2, 3]})");
  ASSERT_TRUE(wait_status(first, "completed")) << worker->log();
  std::string second = enqueue_one(user, "cached", R"({"b": [2, 3], "a": 1})");
  ASSERT_TRUE(wait_status(second, "completed"));
  EXPECT_EQ(scalar("select cache_hit from analysis_jobs where id = '" + first + "'"), "f");
  EXPECT_EQ(scalar("select cache_hit from analysis_jobs where id = '" + second + "'"), "t");
  EXPECT_EQ(scalar("select count(distinct result::text) from analysis_jobs"), "1");
  EXPECT_EQ(scalar("select hit_count || ' ' || (last_hit_at is not null) from analysis_cache"), "1 true");

  std::string different = enqueue_one(user, "cached", R"({"a": 2, "b": [2, 3]})");
  ASSERT_TRUE(wait_status(different, "completed"));
  EXPECT_EQ(scalar("select cache_hit from analysis_jobs where id = '" + different + "'"), "f");

  exec("update analysis_cache set expires_at = now() - interval '1 second'");
  std::string after_expiry = enqueue_one(user, "cached", R"({"a": 1, "b": [2, 3]})");
  ASSERT_TRUE(wait_status(after_expiry, "completed"));
  EXPECT_EQ(scalar("select cache_hit from analysis_jobs where id = '" + after_expiry + "'"), "f");
}

TEST_F(WorkerTest, CacheIsOffWithEnableCacheFalse) {
  pipeline("cached", R"(
name: cached
version: "1"
cache: { enabled: true }
stages:
  - { id: say, uses: testkit.echo, with: { a: "${input.a}" } }
)");
  auto worker = start_worker({{"ENABLE_CACHE", "false"}});
  std::string user = add_user();
  std::string first = enqueue_one(user, "cached", R"({"a": 1})");
  ASSERT_TRUE(wait_status(first, "completed"));
  std::string second = enqueue_one(user, "cached", R"({"a": 1})");
  ASSERT_TRUE(wait_status(second, "completed"));
  EXPECT_EQ(scalar("select count(*) from analysis_jobs where cache_hit"), "0");
  EXPECT_EQ(scalar("select count(*) from analysis_cache"), "0");
}

TEST_F(WorkerTest, ABadSettingStopsStartUpWithASentenceNamingIt) {
  pipeline("echo", kEcho);
  auto env = worker_env({{"WORKER_CONCURRENCY", "five"}});
  aiw::test::EnvOverrides overrides;
  for (auto& [k, v] : env) overrides[k] = v;
  auto r = aiw::test::run_process({AIW_BINARY, "worker"}, overrides);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("WORKER_CONCURRENCY must be a whole number from 1 to 100000, not 'five'"),
            std::string::npos)
      << r.err;
}

TEST_F(WorkerTest, AnInvalidPipelineStopsStartUpNamingFileLineAndColumn) {
  pipeline("bad", "name: bad\nversion: \"1\"\nstages:\n  - { id: x, uses: testkit.ecko }\n");
  auto env = worker_env();
  aiw::test::EnvOverrides overrides;
  for (auto& [k, v] : env) overrides[k] = v;
  auto r = aiw::test::run_process({AIW_BINARY, "worker"}, overrides);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.yaml:4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("testkit.echo"), std::string::npos) << r.err;  // the nearest name
}

}  // namespace
}  // namespace aiw::testing
