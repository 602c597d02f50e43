#include "gateway/enqueuer.h"

#include <aiw/json.h>

#include <pqxx/pqxx>

#include <string_view>

#include "obs/log.h"
#include "queue/db.h"
#include "queue/session.h"

namespace aiw::gateway {
namespace {

constexpr size_t kMaxBatch = 1000;

// Batch: the writer's taken requests (each with its callback), written as they are: no copy.
template <typename Batch>
std::string batch_json(const Batch& batch) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  for (const auto& pending : batch) {
    const EnqueueRequest& r = pending.request;
    w.StartObject();
    w.Key("user_id"); w.String(r.user_id);
    w.Key("type"); w.String(r.type);
    w.Key("input"); w.RawValue(r.input_json.data(), r.input_json.size(), rapidjson::kObjectType);
    w.Key("priority"); w.Int(r.priority);
    w.Key("max_attempts"); w.Int(r.max_attempts);
    w.Key("status"); w.String(r.status);
    if (!r.worker_id.empty()) { w.Key("worker_id"); w.String(r.worker_id); }
    w.Key("run_by"); w.String(r.run_by);
    if (!r.idempotency_key.empty()) { w.Key("idempotency_key"); w.String(r.idempotency_key); }
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// aiw_enqueue_jobs' out_refused (migrations 0010, 0011).
EnqueueResult::Kind refusal_kind(std::string_view refused) {
  if (refused == "active_limit") return EnqueueResult::Kind::kOverLimit;
  if (refused == "duplicate") return EnqueueResult::Kind::kDuplicate;
  if (refused == "idempotency_mismatch") return EnqueueResult::Kind::kKeyMismatch;
  if (refused == "idempotency_in_progress") return EnqueueResult::Kind::kKeyInProgress;
  return EnqueueResult::Kind::kError;
}

}  // namespace

Enqueuer::Enqueuer(std::string database_url, int max_active_jobs_per_user, int writers)
    : url_(std::move(database_url)), max_active_(max_active_jobs_per_user) {
  for (int i = 0; i < writers; ++i) threads_.emplace_back([this] { run(); });
}

Enqueuer::~Enqueuer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Enqueuer::submit(EnqueueRequest request, Callback done) {
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    was_empty = pending_.empty();
    pending_.push_back({std::move(request), std::move(done)});
  }
  // The writer woken for the first request takes all that wait by the time it runs (and wakes
  // another when it leaves some): a wake-up per request would only cost a futex call each.
  if (was_empty) cv_.notify_one();
}

void Enqueuer::run() {
  const std::string limit = std::to_string(max_active_);
  queue::Session session(url_, "gateway-enqueue", [&](queue::JobStore& store) {
    pqxx::nontransaction tx(store.connection());
    tx.exec("set aiw.max_active_jobs_per_user = " + limit);
    store.connection().prepare("aiw_gateway_enqueue",
                               "select out_ord, out_id::text, out_refused, out_active "
                               "from public.aiw_enqueue_jobs($1::jsonb)");
  });
  queue::Backoff backoff;
  auto not_before = std::chrono::steady_clock::now();
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
      if (pending_.empty()) return;
      size_t n = std::min(pending_.size(), kMaxBatch);
      batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.begin() + n));
      pending_.erase(pending_.begin(), pending_.begin() + n);
      if (!pending_.empty()) cv_.notify_one();  // more than a batch waits: the other writer too
    }
    std::vector<EnqueueResult> results(batch.size());
    std::vector<std::string> pending_types;  // of the accepted jobs, for the workers' wake-up
    bool ran = false;
    if (session.connected() || std::chrono::steady_clock::now() >= not_before) {
      try {
        ran = session.try_run([&](queue::JobStore& store) {
          pqxx::nontransaction tx(store.connection());
          pqxx::result rows = tx.exec_prepared("aiw_gateway_enqueue", batch_json(batch));
          for (const auto& row : rows) {
            size_t i = static_cast<size_t>(row[0].as<int>() - 1);
            if (i >= results.size()) continue;
            EnqueueResult& result = results[i];
            if (!row[1].is_null()) result.id = row[1].c_str();
            if (row[2].is_null()) {
              result.kind = EnqueueResult::Kind::kAccepted;
              if (batch[i].request.status == "pending") pending_types.push_back(batch[i].request.type);
            } else {
              result.kind = refusal_kind(row[2].c_str());
              result.active = row[3].as<int>();
              if (result.kind == EnqueueResult::Kind::kError)
                result.message = std::string("the database refused the job: ") + row[2].c_str();
            }
          }
        });
      } catch (const std::exception& e) {
        // The statement itself failed (e.g. an input PostgreSQL's jsonb refuses): tell each.
        obs::log(obs::LogLevel::kError, "enqueue statement failed", {{"error", e.what()}});
        for (auto& r : results) {
          r.kind = EnqueueResult::Kind::kError;
          r.message = "the job could not be stored";
        }
        ran = true;
      }
    }
    if (!ran) {
      not_before = std::chrono::steady_clock::now() + backoff.next();
      for (auto& r : results) {
        r.kind = EnqueueResult::Kind::kUnavailable;
        r.message = "the database cannot be reached right now";
      }
    } else {
      backoff.reset();
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    batch.clear();
    // After the batch's commit and its answers, not inside the transaction: a transaction that
    // notifies holds a database-wide lock through its commit's flush, so the writers could not
    // share flushes (migration 0008_notify_after_commit).
    if (!pending_types.empty() && session.connected())
      session.try_run([&](queue::JobStore& store) { store.notify_jobs_pending(pending_types); });
  }
}

}  // namespace aiw::gateway
