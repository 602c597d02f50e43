// JobStore against a real PostgreSQL: claims, fenced outcomes, retry, cancel, reaper, cache,
// retention and the notifications workers wake on.
#include <gtest/gtest.h>

#include <set>

#include "queue_test_support.h"

namespace aiw::testing {
namespace {

using queue::JobOutcome;

queue::WorkerBeat make_beat(const std::string& worker, const std::vector<std::string>& types,
                           int64_t lease_ms) {
  queue::WorkerBeat beat;
  beat.worker_id = worker;
  beat.host = "test-host";
  beat.pid = 1;
  beat.types = types;
  beat.concurrency = 5;
  beat.lease_ms = lease_ms;
  return beat;
}

JobOutcome completed(const queue::ClaimedJob& job, const std::string& result = R"({"ok":true})") {
  JobOutcome o;
  o.kind = JobOutcome::Kind::kCompleted;
  o.id = job.id;
  o.attempt = job.attempt;
  o.result_json = result;
  o.processing_ms = 12;
  return o;
}

TEST_F(QueueTest, CompletedJobKeepsResultTimesWorkerAndProcessingTime) {
  auto s = store("worker-a");
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user, "echo", R"({"x":1})")};
  std::string id = s->enqueue(jobs).at(0);
  EXPECT_EQ(status_of(id), "pending");

  std::vector<std::string> types = {"echo"};
  auto claimed = s->claim(types, 10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, id);
  EXPECT_EQ(claimed[0].attempt, 1);
  EXPECT_EQ(claimed[0].input_json, R"({"x": 1})");
  EXPECT_EQ(status_of(id), "processing");

  std::vector<JobOutcome> outcomes = {completed(claimed[0])};
  EXPECT_EQ(s->write_outcomes(outcomes), std::vector<std::string>{id});
  EXPECT_EQ(scalar("select status || ' ' || result::text || ' ' || processing_time_ms || ' ' || worker_id "
                   "|| ' ' || (started_at is not null and completed_at >= started_at) "
                   "from analysis_jobs where id = '" + id + "'"),
            R"(completed {"ok": true} 12 worker-a true)");
}

TEST_F(QueueTest, ClaimTakesHighestPriorityFirstThenOldest) {
  auto s = store();
  std::string user = add_user();
  exec("alter database " + scalar("select current_database()") + " set aiw.max_active_jobs_per_user = 0");
  std::vector<queue::NewJob> jobs = {job(user, "echo", R"({"n":1})", 5), job(user, "echo", R"({"n":2})", 1),
                                     job(user, "echo", R"({"n":3})", 5), job(user, "echo", R"({"n":4})", 10)};
  // Separate statements so created_at differs and "oldest" is well defined.
  for (const auto& j : jobs) s->enqueue(std::span(&j, 1));
  std::vector<std::string> types = {"echo"}, order;
  for (int i = 0; i < 4; ++i) order.push_back(s->claim(types, 1).at(0).input_json);
  EXPECT_EQ(order, (std::vector<std::string>{R"({"n": 2})", R"({"n": 1})", R"({"n": 3})", R"({"n": 4})"}));
}

TEST_F(QueueTest, ClaimLeavesJobsWhoseRunAfterHasNotComeAndTypesNotServed) {
  auto s = store();
  std::string user = add_user();
  queue::NewJob later = job(user, "echo");
  later.run_after_ms = 3600 * 1000;
  std::vector<queue::NewJob> jobs = {later, job(user, "other")};
  s->enqueue(jobs);
  std::vector<std::string> echo = {"echo"};
  EXPECT_TRUE(s->claim(echo, 10).empty());
  std::vector<std::string> other = {"other"};
  EXPECT_EQ(s->claim(other, 10).size(), 1u);
}

TEST_F(QueueTest, OutcomeOfAnotherWorkerOrAttemptDoesNotLand) {
  auto a = store("worker-a");
  auto b = store("worker-b");
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user)};
  std::string id = a->enqueue(jobs).at(0);
  std::vector<std::string> types = {"echo"};
  auto claimed = a->claim(types, 1);
  ASSERT_EQ(claimed.size(), 1u);

  std::vector<JobOutcome> from_b = {completed(claimed[0])};
  EXPECT_TRUE(b->write_outcomes(from_b).empty()) << "worker-b never claimed it";
  std::vector<JobOutcome> stale = {completed(claimed[0])};
  stale[0].attempt = 7;
  EXPECT_TRUE(a->write_outcomes(stale).empty()) << "not this attempt";
  EXPECT_EQ(status_of(id), "processing");
  std::vector<JobOutcome> right = {completed(claimed[0])};
  EXPECT_EQ(a->write_outcomes(right).size(), 1u);
  EXPECT_TRUE(a->write_outcomes(right).empty()) << "a second write of the same outcome is fenced";
}

TEST_F(QueueTest, RetryReturnsJobToPendingAfterItsDelayWithTheError) {
  auto s = store();
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user)};
  std::string id = s->enqueue(jobs).at(0);
  std::vector<std::string> types = {"echo"};
  auto claimed = s->claim(types, 1);
  JobOutcome retry;
  retry.kind = JobOutcome::Kind::kRetry;
  retry.id = id;
  retry.attempt = 1;
  retry.error = "stage 'llm' (llm.chat): the model is overloaded";
  retry.retry_delay_ms = 60000;
  std::vector<JobOutcome> outcomes = {retry};
  ASSERT_EQ(s->write_outcomes(outcomes).size(), 1u);
  EXPECT_EQ(scalar("select status || ' ' || attempts || ' ' || (worker_id is null) || ' ' || "
                   "(run_after > now() + interval '50 seconds') || ' ' || error from analysis_jobs"),
            "pending 1 true true stage 'llm' (llm.chat): the model is overloaded");
  EXPECT_TRUE(s->claim(types, 1).empty()) << "not before its delay";
  exec("update analysis_jobs set run_after = now()");
  auto again = s->claim(types, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 2);
}

TEST_F(QueueTest, GiveBackReturnsJobWithoutSpendingAnAttempt) {
  auto s = store();
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user)};
  std::string id = s->enqueue(jobs).at(0);
  std::vector<std::string> types = {"echo"};
  auto claimed = s->claim(types, 1);
  JobOutcome back;
  back.kind = JobOutcome::Kind::kGiveBack;
  back.id = id;
  back.attempt = 1;
  std::vector<JobOutcome> outcomes = {back};
  ASSERT_EQ(s->write_outcomes(outcomes).size(), 1u);
  EXPECT_EQ(scalar("select status || ' ' || attempts from analysis_jobs"), "pending 0");
}

TEST_F(QueueTest, CancelledPendingJobIsNeverClaimed) {
  auto s = store();
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user)};
  std::string id = s->enqueue(jobs).at(0);
  EXPECT_TRUE(s->cancel(id));
  EXPECT_FALSE(s->cancel(id)) << "already final";
  std::vector<std::string> types = {"echo"};
  EXPECT_TRUE(s->claim(types, 10).empty());
  EXPECT_EQ(status_of(id), "cancelled");
}

TEST_F(QueueTest, CancelOfProcessingJobNotifiesAndFencesTheWorkersOutcome) {
  auto worker = store("worker-a");
  auto gateway = store("gateway");
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user)};
  std::string id = worker->enqueue(jobs).at(0);
  std::vector<std::string> types = {"echo"};
  auto claimed = worker->claim(types, 1);

  pqxx::connection listener(url_);
  pqxx::nontransaction(listener).exec("listen aiw_jobs_cancel");
  EXPECT_TRUE(gateway->cancel(id));
  int received = listener.await_notification(5, 0);
  EXPECT_EQ(received, 1);

  std::vector<JobOutcome> outcomes = {completed(claimed[0])};
  EXPECT_TRUE(worker->write_outcomes(outcomes).empty());
  EXPECT_EQ(status_of(id), "cancelled");
  // Its next heartbeat tells the worker the job is no longer its own.
  queue::WorkerBeat beat = make_beat("worker-a", types, 30000);
  std::vector<std::string> in_flight = {id};
  EXPECT_EQ(worker->heartbeat(beat, in_flight), in_flight);
}

TEST_F(QueueTest, OneNotificationPerInsertStatementNamingTheTypes) {
  auto s = store();
  std::string user = add_user();
  exec("alter database " + scalar("select current_database()") + " set aiw.max_active_jobs_per_user = 0");
  pqxx::connection listener(url_);
  pqxx::nontransaction(listener).exec("listen aiw_jobs_pending");
  std::vector<queue::NewJob> jobs;
  for (int i = 0; i < 100; ++i) jobs.push_back(job(user, i % 2 ? "alpha" : "beta"));
  auto s2 = store();  // a fresh session so the database setting applies
  s2->enqueue(jobs);
  std::set<std::string> payloads;
  struct Collect : pqxx::notification_receiver {
    Collect(pqxx::connection_base& c, std::set<std::string>& out)
        : pqxx::notification_receiver(c, "aiw_jobs_pending"), out_(out) {}
    void operator()(const std::string& payload, int) override { out_.insert(payload); ++count; }
    std::set<std::string>& out_;
    int count = 0;
  } collect(listener, payloads);
  listener.await_notification(5, 0);
  while (listener.await_notification(0, 200000) > 0) {
  }
  EXPECT_EQ(collect.count, 1);
  EXPECT_EQ(payloads, std::set<std::string>{"alpha,beta"});
}

// aiw's own writes notify after they commit (migration 0008): on aiw's connections the insert
// trigger stays quiet, and JobStore sends the notification itself; anyone else's insert (plain
// SQL, another service) still wakes the workers through the trigger.
TEST_F(QueueTest, InsertsFromOutsideAiwWakeWorkersByTriggerAndAiwsOwnNotifyAfterCommit) {
  std::string user = add_user();
  pqxx::connection listener(url_);
  pqxx::nontransaction(listener).exec("listen aiw_jobs_pending");
  std::vector<std::string> payloads;
  struct Collect : pqxx::notification_receiver {
    Collect(pqxx::connection_base& c, std::vector<std::string>& out)
        : pqxx::notification_receiver(c, "aiw_jobs_pending"), out_(out) {}
    void operator()(const std::string& payload, int) override { out_.push_back(payload); }
    std::vector<std::string>& out_;
  } collect(listener, payloads);
  auto drain = [&] {
    listener.await_notification(2, 0);
    while (listener.await_notification(0, 200000) > 0) {
    }
  };
  const std::string insert = "insert into analysis_jobs (user_id, type) values ('" + user + "', ";

  pqxx::connection outside(url_);  // not through queue::connect: an ordinary client
  pqxx::nontransaction(outside).exec(insert + "'from_sql')");
  drain();
  EXPECT_EQ(payloads, std::vector<std::string>{"from_sql"});

  payloads.clear();
  auto aiw = queue::connect(url_);
  ASSERT_TRUE(aiw);
  pqxx::nontransaction(**aiw).exec(insert + "'quiet')");  // aiw's connection: the code notifies
  std::vector<queue::NewJob> jobs = {job(user, "by_store")};
  store()->enqueue(jobs);
  drain();
  EXPECT_EQ(payloads, std::vector<std::string>{"by_store"});
}

TEST_F(QueueTest, ReaperGivesBackJobsOfADeadWorkerAndFailsThoseOutOfAttempts) {
  auto dead = store("dead-worker");
  auto reaper = store("reaper");
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user), job(user)};
  jobs[1].max_attempts = 1;
  auto ids = dead->enqueue(jobs);
  std::vector<std::string> types = {"echo"};
  queue::WorkerBeat beat = make_beat("dead-worker", types, 1000);
  dead->heartbeat(beat, {});
  ASSERT_EQ(dead->claim(types, 2).size(), 2u);
  EXPECT_TRUE(reaper->reap(300000).empty()) << "the worker is alive: nothing to reap";

  exec("update aiw_workers set heartbeat_at = now() - interval '5 seconds'");
  auto reaped = reaper->reap(300000);
  ASSERT_EQ(reaped.size(), 2u);
  EXPECT_EQ(status_of(ids[0]), "pending");
  EXPECT_EQ(status_of(ids[1]), "failed");
  EXPECT_EQ(scalar("select error from analysis_jobs where id = '" + ids[1] + "'"),
            "worker dead-worker stopped responding while running this job (attempt 1 of 1)");
}

TEST_F(QueueTest, ReaperRunsInOneWorkerAtATime) {
  auto s = store();
  pqxx::connection holder(url_);
  pqxx::work tx(holder);
  tx.exec("select pg_advisory_xact_lock(7019266486767542640)");
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user)};
  s->enqueue(jobs);
  std::vector<std::string> types = {"echo"};
  s->claim(types, 1);  // worker w1 has no row: reapable, but the lock is taken
  EXPECT_TRUE(s->reap(300000).empty());
  tx.abort();
  EXPECT_EQ(s->reap(300000).size(), 1u);
}

TEST_F(QueueTest, ReaperFailsJobsStuckPastTheTimeoutWithASentence) {
  auto s = store("w1");
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user)};
  jobs[0].max_attempts = 1;
  std::string id = s->enqueue(jobs).at(0);
  std::vector<std::string> types = {"echo"};
  queue::WorkerBeat beat = make_beat("w1", types, 1000);
  s->heartbeat(beat, {});
  s->claim(types, 1);
  exec("update analysis_jobs set started_at = now() - interval '10 minutes'");
  ASSERT_EQ(s->reap(300000).size(), 1u);
  EXPECT_EQ(scalar("select status || ': ' || error from analysis_jobs"),
            "failed: the job ran longer than WORKER_STUCK_JOB_TIMEOUT_MS (300000 ms) on worker w1 (attempt 1 of 1)");
}

TEST_F(QueueTest, CacheLookupHitsUnexpiredEntriesAndCountsThem) {
  auto s = store();
  std::string user = add_user();
  std::vector<queue::NewJob> jobs = {job(user)};
  s->enqueue(jobs);
  std::vector<std::string> types = {"echo"};
  auto claimed = s->claim(types, 1);
  JobOutcome o = completed(claimed[0], R"({"answer":42})");
  o.cache_key = "k1";
  o.cache_ttl_seconds = 3600;
  std::vector<JobOutcome> outcomes = {o};
  s->write_outcomes(outcomes);

  std::vector<std::string> keys = {"k1", "missing"};
  auto hits = s->cache_lookup(keys);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].response_json, R"({"answer": 42})");
  s->cache_lookup(keys);
  EXPECT_EQ(scalar("select hit_count || ' ' || (last_hit_at is not null) from analysis_cache"), "2 true");

  exec("update analysis_cache set expires_at = now() - interval '1 second'");
  EXPECT_TRUE(s->cache_lookup(keys).empty()) << "expired";
  EXPECT_EQ(s->prune_expired_cache(100), 1);
  EXPECT_EQ(scalar("select count(*) from analysis_cache"), "0");
}

TEST_F(QueueTest, RetentionDeletesOnlyOldFinishedJobsInBatches) {
  auto s = store();
  std::string user = add_user();
  exec("alter database " + scalar("select current_database()") + " set aiw.max_active_jobs_per_user = 0");
  auto s2 = store();
  std::vector<queue::NewJob> jobs(5, job(user));
  auto ids = s2->enqueue(jobs);
  exec("update analysis_jobs set status = 'completed', completed_at = now() - interval '8 days' "
       "where id in ('" + ids[0] + "', '" + ids[1] + "', '" + ids[2] + "')");
  exec("update analysis_jobs set status = 'failed', completed_at = now() where id = '" + ids[3] + "'");
  const int64_t week_ms = 7LL * 24 * 3600 * 1000;
  EXPECT_EQ(s2->prune_finished_jobs(week_ms, 2), 2);
  EXPECT_EQ(s2->prune_finished_jobs(week_ms, 2), 1);
  EXPECT_EQ(s2->prune_finished_jobs(week_ms, 2), 0);
  EXPECT_EQ(scalar("select string_agg(status, ',' order by status) from analysis_jobs"), "failed,pending");
}

}  // namespace
}  // namespace aiw::testing
