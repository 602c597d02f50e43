#include "worker/dispatcher.h"

#include <poll.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <random>
#include <sstream>

#include "obs/clock.h"
#include "obs/log.h"
#include "queue/cache_key.h"
#include "queue/db.h"
#include "queue/notifications.h"
#include "queue/session.h"

namespace aiw::worker {
namespace {

// Sets a flag when a pending-jobs notification names a type this worker serves.
class PendingReceiver : public pqxx::notification_receiver {
 public:
  PendingReceiver(pqxx::connection_base& c, const std::vector<std::string>& types, bool& wake)
      : pqxx::notification_receiver(c, queue::kPendingChannel), types_(types), wake_(wake) {}
  void operator()(const std::string& payload, int) override {
    std::stringstream list(payload);
    for (std::string type; std::getline(list, type, ',');)
      if (std::find(types_.begin(), types_.end(), type) != types_.end()) wake_ = true;
  }

 private:
  const std::vector<std::string>& types_;
  bool& wake_;
};

class CancelReceiver : public pqxx::notification_receiver {
 public:
  CancelReceiver(pqxx::connection_base& c, RunningJobs& running)
      : pqxx::notification_receiver(c, queue::kCancelChannel), running_(running) {}
  void operator()(const std::string& job_id, int) override {
    if (auto job = running_.find(job_id)) {
      obs::log(obs::LogLevel::kInfo, "job cancelled while running; aborting it", {{"job", job_id}});
      job->stop(StopReason::kCancelled, "the job was cancelled");
    }
  }

 private:
  RunningJobs& running_;
};

}  // namespace

// Members in this order so the receivers go before the store and the connection they use.
struct Dispatcher::Connection {
  std::shared_ptr<pqxx::connection_base> conn;
  std::unique_ptr<queue::JobStore> store;
  std::unique_ptr<PendingReceiver> pending;
  std::unique_ptr<CancelReceiver> cancel;
};

Dispatcher::Dispatcher(WorkerState& state) : state_(state) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() { thread_ = std::thread([this] { run(); }); }

void Dispatcher::stop() {
  state_.stopping = true;
  state_.wake.signal();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::run() {
  std::unique_ptr<Connection> c;
  queue::Backoff backoff;
  bool want_claim = true;  // at start, and after every reconnect: notifications may be missed
  auto next_poll = std::chrono::steady_clock::now();
  const auto poll_interval = std::chrono::milliseconds(state_.config.poll_interval_ms);
  while (!state_.stopping) {
    try {
      if (!c) {
        auto conn = queue::connect(state_.config.database_url);
        if (!conn) throw pqxx::broken_connection(conn.error());
        auto fresh = std::make_unique<Connection>();
        fresh->conn = *conn;
        fresh->store = std::make_unique<queue::JobStore>(fresh->conn, state_.worker_id);
        fresh->pending = std::make_unique<PendingReceiver>(*fresh->conn, state_.types, want_claim);
        fresh->cancel = std::make_unique<CancelReceiver>(*fresh->conn, state_.running);
        c = std::move(fresh);
        want_claim = true;
        backoff.reset();
        state_.metrics.database_up = true;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= next_poll) {
        want_claim = true;
        next_poll = now + poll_interval;
      }
      // A retry this worker scheduled is due: claim it on time rather than at the next poll.
      if (int64_t due = state_.next_wake_ns.load(); due != 0 && obs::monotonic_ns() >= due) {
        state_.next_wake_ns.compare_exchange_strong(due, 0);
        want_claim = true;
      }
      bool has_room = state_.running.size() < static_cast<size_t>(state_.config.concurrency);
      // Claims wait for the first heartbeat: the reaper gives back jobs of workers with no row.
      bool registered = state_.last_beat_ok_ns.load() != 0;
      if (want_claim && has_room && registered) {
        std::unique_lock claims(state_.claim_mu);  // see WorkerState::claim_mu
        if (!state_.draining) {
          want_claim = claim_and_start(*c);
          if (want_claim) continue;  // the batch came back full: more may be waiting
        }
      }
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - std::chrono::steady_clock::now());
      if (int64_t due = state_.next_wake_ns.load(); due != 0)
        wait = std::min(wait, std::chrono::milliseconds((due - obs::monotonic_ns()) / 1000000 + 1));
      // A notification that came in with the claim's answer is processed here at once (its
      // receiver asks for a claim); poll() alone would sleep through it until the next poll.
      if (queue::wait_for_notifications(*c->conn, state_.wake.fd(), wait).woken) state_.wake.drain();
    } catch (const std::exception& e) {
      if (!queue::is_connection_lost(e))
        obs::log(obs::LogLevel::kError, "claiming jobs failed", {{"error", e.what()}});
      else
        obs::log(obs::LogLevel::kWarn, "lost the database connection; reconnecting", {{"error", e.what()}});
      state_.metrics.database_errors.add();
      state_.metrics.database_up = false;
      c.reset();
      auto pause = backoff.next();
      pollfd wake = {state_.wake.fd(), POLLIN, 0};
      poll(&wake, 1, static_cast<int>(pause.count()));
      if (wake.revents & POLLIN) state_.wake.drain();
    }
  }
}

bool Dispatcher::claim_and_start(Connection& c) {
  const size_t room = static_cast<size_t>(state_.config.concurrency) - state_.running.size();
  const int limit = static_cast<int>(std::min<size_t>(room, static_cast<size_t>(state_.config.effective_claim_batch())));
  std::vector<queue::ClaimedJob> claimed = c.store->claim(state_.types, limit);
  const int64_t now = obs::monotonic_ns();
  std::vector<std::shared_ptr<RunningJob>> jobs;
  std::vector<std::string> keys;
  for (queue::ClaimedJob& claim : claimed) {
    auto job = std::make_shared<RunningJob>();
    job->pipeline = state_.pipelines.find(claim.type);
    job->claimed_ns = now;
    TypeMetrics& m = state_.metrics.of(claim.type);
    m.claimed.add();
    m.queue_wait.record_ns(static_cast<int64_t>(claim.queue_wait_ms * 1e6));
    if (job->pipeline->cached) {
      auto key = queue::cache_key(claim.type, job->pipeline->version, claim.input_json);
      if (key) {
        job->cache_key = *key;
        keys.push_back(*key);
      }
    }
    job->claim = std::move(claim);
    state_.running.add(job);
    jobs.push_back(std::move(job));
  }
  state_.metrics.in_flight = static_cast<int64_t>(state_.running.size());
  std::map<std::string, std::string> hits;
  if (!keys.empty())
    for (auto& hit : c.store->cache_lookup(keys)) hits.emplace(hit.cache_key, std::move(hit.response_json));
  for (auto& job : jobs) {
    auto hit = job->cache_key.empty() ? hits.end() : hits.find(job->cache_key);
    if (hit == hits.end()) {
      start_job(job);
      continue;
    }
    queue::JobOutcome o;
    o.kind = queue::JobOutcome::Kind::kCompleted;
    o.id = job->claim.id;
    o.attempt = job->claim.attempt;
    o.result_json = hit->second;
    o.cache_hit = true;
    state_.writer->push(std::move(o), job->claim.type, 0);
  }
  std::vector<std::string> ids;
  ids.reserve(jobs.size());
  for (const auto& job : jobs) ids.push_back(job->claim.id);
  c.store->notify_job_events(ids);  // "processing" for the gateway's event streams
  return static_cast<int>(claimed.size()) == limit;
}

void Dispatcher::start_job(std::shared_ptr<RunningJob> job) {
  engine::Engine& engine = *job->pipeline->engine;
  engine::JobRequest request;
  request.id = job->claim.id;
  request.input_json = job->claim.input_json;
  request.attempt = job->claim.attempt;
  request.user_id = job->claim.user_id;
  int64_t deadline = state_.config.stuck_job_timeout_ms;
  if (engine.spec().deadline_ms > 0) deadline = std::min(deadline, engine.spec().deadline_ms);
  request.deadline = std::chrono::milliseconds(deadline);
  request.on_done = [this, job](engine::JobResult&& result) { on_done(job, std::move(result)); };
  request.on_progress = [this, job](const std::string& stage, int done, int total) {
    if (done >= total) return;  // the outcome says it all
    state_.writer->push_progress({job->claim.id, job->claim.attempt, stage, done * 100 / total});
  };
  job->set_handle(engine.submit(std::move(request)));
}

void Dispatcher::on_done(const std::shared_ptr<RunningJob>& job, engine::JobResult&& result) {
  const int64_t processing_ns = obs::monotonic_ns() - job->claimed_ns;
  if (job->stop_reason.load() == StopReason::kCancelled) {
    // The row already says cancelled; writing would be fenced off anyway.
    state_.metrics.of(job->claim.type).cancelled.add();
    state_.running.remove(job->claim.id);
    state_.metrics.in_flight = static_cast<int64_t>(state_.running.size());
    state_.wake.signal();
    return;
  }
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  queue::JobOutcome outcome = outcome_of(*job, result, state_.retry, processing_ns / 1000000, rng);
  if (outcome.kind == queue::JobOutcome::Kind::kRetry) {
    obs::log(obs::LogLevel::kInfo, "job failed; will retry",
             {{"job", job->claim.id}, {"type", job->claim.type}, {"stage", result.failed_stage},
              {"attempt", std::to_string(job->claim.attempt)},
              {"retry_in_ms", std::to_string(outcome.retry_delay_ms)}, {"error", outcome.error}});
    // A little after the delay: the row's run_after is set when the writer stores it.
    state_.wake_at(obs::monotonic_ns() + (outcome.retry_delay_ms + 25) * 1000000);
  } else if (outcome.kind == queue::JobOutcome::Kind::kFailed) {
    obs::log(obs::LogLevel::kInfo, "job failed",
             {{"job", job->claim.id}, {"type", job->claim.type}, {"stage", result.failed_stage},
              {"attempt", std::to_string(job->claim.attempt)}, {"error", outcome.error}});
  }
  state_.writer->push(std::move(outcome), job->claim.type, processing_ns);
}

}  // namespace aiw::worker
