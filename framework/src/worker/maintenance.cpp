#include "worker/maintenance.h"

#include <unistd.h>

#include "obs/clock.h"
#include "obs/log.h"
#include "queue/session.h"

namespace aiw::worker {
namespace {

constexpr auto kPruneInterval = std::chrono::seconds(60);
constexpr int kPruneBatch = 500;
constexpr int kMaxPruneBatchesPerRound = 20;

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

Maintenance::Maintenance(WorkerState& state) : state_(state) {}

Maintenance::~Maintenance() { stop(); }

void Maintenance::start() { thread_ = std::thread([this] { run(); }); }

void Maintenance::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Maintenance::beat_soon() {
  {
    std::lock_guard lock(mu_);
    beat_now_ = true;
  }
  cv_.notify_all();
}

bool Maintenance::beat(queue::Session& session, const char* status) {
  queue::WorkerBeat b;
  b.worker_id = state_.worker_id;
  b.host = host_name();
  b.pid = static_cast<int>(getpid());
  b.types = state_.types;
  b.concurrency = state_.config.concurrency;
  b.in_flight = static_cast<int>(state_.running.size());
  b.status = status;
  b.lease_ms = state_.config.lease_ms;
  b.version = AIW_VERSION;
  std::vector<std::string> held = state_.running.ids();
  std::vector<std::string> lost;
  try {
    if (!session.try_run([&](queue::JobStore& store) { lost = store.heartbeat(b, held); }))
      return false;
  } catch (const std::exception& e) {
    obs::log(obs::LogLevel::kError, "heartbeat failed", {{"error", e.what()}});
    return false;
  }
  state_.last_beat_ok_ns = obs::monotonic_ns();
  state_.metrics.database_up = true;
  state_.wake.signal();  // the dispatcher claims only once the worker row exists
  for (const std::string& id : lost) {
    if (auto job = state_.running.find(id)) {
      obs::log(obs::LogLevel::kInfo, "job no longer held by this worker (cancelled or reaped); aborting it",
               {{"job", id}});
      job->stop(StopReason::kCancelled, "the job was cancelled or given to another worker");
    }
  }
  return true;
}

void Maintenance::reap(queue::Session& session) {
  std::vector<queue::ReapedJob> reaped;
  try {
    if (!session.try_run([&](queue::JobStore& store) { reaped = store.reap(state_.config.stuck_job_timeout_ms); }))
      return;
  } catch (const std::exception& e) {
    obs::log(obs::LogLevel::kError, "reaper failed", {{"error", e.what()}});
    return;
  }
  for (const auto& job : reaped) {
    state_.metrics.reaped.add();
    obs::log(obs::LogLevel::kWarn,
             job.status == "pending" ? "gave back a job of a dead or stuck worker"
                                     : "failed a job of a dead or stuck worker: no attempts left",
             {{"job", job.id}, {"type", job.type}});
  }
}

void Maintenance::prune(queue::Session& session) {
  int jobs = 0, cache = 0;
  try {
    session.try_run([&](queue::JobStore& store) {
      for (int i = 0; i < kMaxPruneBatchesPerRound; ++i) {
        int n = store.prune_finished_jobs(state_.config.retention_ms, kPruneBatch);
        jobs += n;
        if (n < kPruneBatch) break;
      }
      for (int i = 0; i < kMaxPruneBatchesPerRound; ++i) {
        int n = store.prune_expired_cache(kPruneBatch);
        cache += n;
        if (n < kPruneBatch) break;
      }
    });
  } catch (const std::exception& e) {
    obs::log(obs::LogLevel::kError, "pruning old rows failed", {{"error", e.what()}});
  }
  if (jobs + cache > 0)
    obs::log(obs::LogLevel::kInfo, "pruned old rows",
             {{"jobs", std::to_string(jobs)}, {"cache", std::to_string(cache)}});
}

void Maintenance::check_lease() {
  const int64_t since_beat = obs::monotonic_ns() - state_.last_beat_ok_ns.load();
  if (since_beat < state_.config.lease_ms * 1000000 / 2) return;
  for (const auto& job : state_.running.all()) {
    if (job->stop_reason.load() != StopReason::kNone) continue;
    obs::log(obs::LogLevel::kWarn,
             "no heartbeat reached the database for half the lease; giving the job back",
             {{"job", job->claim.id}});
    job->stop(StopReason::kGiveBack, "the worker lost the database for half its lease");
  }
}

void Maintenance::run() {
  queue::Session session(state_.config.database_url, state_.worker_id);
  const auto interval = std::chrono::milliseconds(state_.config.heartbeat_interval_ms);
  auto next_prune = std::chrono::steady_clock::now();
  for (;;) {
    const char* status = state_.draining ? "draining" : "running";
    if (!beat(session, status)) {
      state_.metrics.database_up = false;
      state_.metrics.database_errors.add();
      check_lease();
    } else {
      reap(session);
      if (std::chrono::steady_clock::now() >= next_prune) {
        prune(session);
        next_prune = std::chrono::steady_clock::now() + kPruneInterval;
      }
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, interval, [&] { return stop_ || beat_now_; });
    beat_now_ = false;
    if (stop_) break;
  }
  beat(session, "stopped");
}

}  // namespace aiw::worker
