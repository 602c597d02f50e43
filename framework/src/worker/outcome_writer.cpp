#include "worker/outcome_writer.h"

#include <pqxx/pqxx>

#include <unordered_set>

#include "obs/log.h"
#include "queue/db.h"
#include "queue/session.h"

namespace aiw::worker {
namespace {

// Progress is for people watching slow jobs: a job that ends within this long never writes any,
// which keeps fast jobs at two writes (claim, outcome).
constexpr auto kProgressDelay = std::chrono::milliseconds(100);
constexpr size_t kMaxBatch = 4000;
constexpr int kRollbackRetries = 3;

}  // namespace

OutcomeWriter::OutcomeWriter(std::string database_url, std::string worker_id,
                             RunningJobs& running, WorkerMetrics& metrics,
                             std::function<void()> on_written)
    : database_url_(std::move(database_url)), worker_id_(std::move(worker_id)),
      running_(running), metrics_(metrics), on_written_(std::move(on_written)) {}

OutcomeWriter::~OutcomeWriter() { stop(std::chrono::milliseconds(0)); }

void OutcomeWriter::start() { thread_ = std::thread([this] { run(); }); }

void OutcomeWriter::stop(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = std::chrono::steady_clock::now() + timeout;
    }
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutcomeWriter::push(queue::JobOutcome outcome, std::string type, int64_t processing_ns) {
  {
    std::lock_guard lock(mu_);
    items_.push_back({std::move(outcome), std::move(type), processing_ns});
  }
  cv_.notify_one();
}

void OutcomeWriter::push_progress(queue::Progress progress) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto [it, added] = progress_.try_emplace(progress.id, PendingProgress{progress, now});
  if (!added) it->second.progress = std::move(progress);  // keep the first time: due stays due
}

std::vector<queue::Progress> OutcomeWriter::take_due_progress(std::chrono::steady_clock::time_point now) {
  std::vector<queue::Progress> due;
  for (auto it = progress_.begin(); it != progress_.end();) {
    if (now - it->second.since >= kProgressDelay) {
      due.push_back(std::move(it->second.progress));
      it = progress_.erase(it);
    } else {
      ++it;
    }
  }
  return due;
}

void OutcomeWriter::run() {
  queue::Session session(database_url_, worker_id_);
  queue::Backoff backoff;
  std::vector<Item> batch;
  std::vector<queue::Progress> progress;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kProgressDelay, [&] { return !items_.empty() || stopping_; });
      if (stopping_ && items_.empty() && batch.empty()) break;
      if (stopping_ && std::chrono::steady_clock::now() > stop_deadline_) {
        obs::log(obs::LogLevel::kWarn,
                 "stopping with job outcomes unwritten; the reaper will return those jobs",
                 {{"count", std::to_string(items_.size() + batch.size())}});
        break;
      }
      while (!items_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(items_.back()));
        items_.pop_back();
      }
      // An outcome makes the job's pending progress moot.
      for (const Item& item : batch) progress_.erase(item.outcome.id);
      auto due = take_due_progress(std::chrono::steady_clock::now());
      progress.insert(progress.end(), std::make_move_iterator(due.begin()),
                      std::make_move_iterator(due.end()));
    }
    if (batch.empty() && progress.empty()) continue;
    if (write(session, batch, progress)) {
      metrics_.database_up = true;
      backoff.reset();
      batch.clear();
      progress.clear();
      on_written_();
      continue;
    }
    metrics_.database_errors.add();
    metrics_.database_up = false;
    obs::log(obs::LogLevel::kWarn, "cannot reach PostgreSQL to write job outcomes; retrying",
             {{"error", session.last_error()}, {"waiting", std::to_string(batch.size())}});
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, backoff.next(),
                 [&] { return stopping_ && std::chrono::steady_clock::now() > stop_deadline_; });
  }
}

bool OutcomeWriter::write(queue::Session& session, std::vector<Item>& batch,
                          std::vector<queue::Progress>& progress) {
  std::vector<queue::JobOutcome> outcomes;
  outcomes.reserve(batch.size());
  for (const Item& item : batch) outcomes.push_back(item.outcome);
  std::vector<std::string> landed;
  try {
    for (int attempt = 1;; ++attempt) {
      try {
        bool ok = session.try_run([&](queue::JobStore& store) {
          if (!outcomes.empty()) landed = store.write_outcomes(outcomes);
          if (!progress.empty()) store.write_progress(progress);
        });
        if (!ok) return false;
        break;
      } catch (const pqxx::transaction_rollback& e) {
        // A deadlock or serialization failure says nothing about the outcomes themselves: the
        // whole batch is written again, not one statement per job.
        if (attempt >= kRollbackRetries) throw;
        metrics_.database_errors.add();
        obs::log(obs::LogLevel::kWarn, "writing job outcomes was rolled back; writing them again",
                 {{"error", e.what()}, {"attempt", std::to_string(attempt)}});
      }
    }
  } catch (const std::exception& e) {
    // The statement itself failed (e.g. a result PostgreSQL's jsonb refuses): find the culprit.
    metrics_.database_errors.add();
    obs::log(obs::LogLevel::kError, "a batch of job outcomes was refused; writing them one by one",
             {{"error", e.what()}});
    progress.clear();
    return write_one_by_one(session, batch);
  }
  metrics_.outcome_writes.add();
  std::unordered_set<std::string> landed_ids(landed.begin(), landed.end());
  for (const Item& item : batch) finish(item, landed_ids.count(item.outcome.id) > 0);
  return true;
}

bool OutcomeWriter::write_one_by_one(queue::Session& session, std::vector<Item>& batch) {
  for (Item& item : batch) {
    std::vector<queue::JobOutcome> one = {item.outcome};
    std::vector<std::string> landed;
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!session.try_run([&](queue::JobStore& store) { landed = store.write_outcomes(one); }))
          return false;  // lost the connection: the caller retries the whole batch
        break;
      } catch (const std::exception& e) {
        // The result itself is unstorable: the job fails with the reason instead.
        queue::JobOutcome& o = one[0];
        o.kind = queue::JobOutcome::Kind::kFailed;
        o.error = std::string("the job's result could not be stored: ") + e.what();
        o.result_json.clear();
        o.cache_key.clear();
        item.outcome = o;
      }
    }
    finish(item, !landed.empty());
  }
  return true;
}

void OutcomeWriter::finish(const Item& item, bool landed) {
  TypeMetrics& m = metrics_.of(item.type);
  if (!landed) {
    metrics_.outcomes_fenced.add();
    obs::log(obs::LogLevel::kInfo, "outcome not written: the job was cancelled or taken back meanwhile",
             {{"job", item.outcome.id}});
  } else {
    switch (item.outcome.kind) {
      case queue::JobOutcome::Kind::kCompleted:
        m.completed.add();
        if (item.outcome.cache_hit) m.cache_hits.add();
        break;
      case queue::JobOutcome::Kind::kRetry: m.retried.add(); break;
      case queue::JobOutcome::Kind::kFailed: m.failed.add(); break;
      case queue::JobOutcome::Kind::kGiveBack: m.given_back.add(); break;
    }
    m.processing.record_ns(item.processing_ns);
  }
  running_.remove(item.outcome.id);
  metrics_.in_flight = static_cast<int64_t>(running_.size());
}

}  // namespace aiw::worker
