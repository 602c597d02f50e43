#include "queue/job_store.h"

#include <aiw/json.h>

#include <pqxx/pqxx>

#include <algorithm>

#include "queue/pg_text.h"
#include "queue/sql.h"

namespace aiw::queue {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void write_raw_or_null(JsonWriter& w, const std::string& json) {
  if (json.empty())
    w.Null();
  else
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

const char* kind_status(JobOutcome::Kind kind) {
  switch (kind) {
    case JobOutcome::Kind::kCompleted: return "completed";
    case JobOutcome::Kind::kRetry: return "retry";
    case JobOutcome::Kind::kFailed: return "failed";
    case JobOutcome::Kind::kGiveBack: return "give_back";
  }
  return "failed";
}

std::string outcomes_json(std::span<const JobOutcome> outcomes) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const JobOutcome& o : outcomes) {
    w.StartObject();
    w.Key("id"); w.String(o.id);
    w.Key("attempt"); w.Int(o.attempt);
    w.Key("kind"); w.String(kind_status(o.kind));
    w.Key("result"); write_raw_or_null(w, o.kind == JobOutcome::Kind::kCompleted ? o.result_json : "");
    w.Key("error");
    if (o.error.empty()) w.Null(); else w.String(o.error);
    w.Key("ms"); w.Int64(o.processing_ms);
    w.Key("delay_ms"); w.Int64(o.retry_delay_ms);
    w.Key("timings"); write_raw_or_null(w, o.timings_json);
    w.Key("cache_hit"); w.Bool(o.cache_hit);
    w.Key("cache_key");
    if (o.cache_key.empty()) w.Null(); else w.String(o.cache_key);
    w.Key("ttl_s"); w.Int64(o.cache_ttl_seconds);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string new_jobs_json(std::span<const NewJob> jobs) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const NewJob& j : jobs) {
    w.StartObject();
    w.Key("user_id"); w.String(j.user_id);
    w.Key("type"); w.String(j.type);
    w.Key("input"); w.RawValue(j.input_json.data(), j.input_json.size(), rapidjson::kObjectType);
    w.Key("priority"); w.Int(j.priority);
    w.Key("max_attempts"); w.Int(j.max_attempts);
    w.Key("delay_ms"); w.Int64(j.run_after_ms);
    w.Key("run_by"); w.String(j.run_by);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string progress_json(std::span<const Progress> progress) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const Progress& p : progress) {
    w.StartObject();
    w.Key("id"); w.String(p.id);
    w.Key("attempt"); w.Int(p.attempt);
    w.Key("progress");
    w.StartObject();
    w.Key("stage"); w.String(p.stage);
    w.Key("percent"); w.Int(p.percent);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

JobStore::JobStore(std::shared_ptr<pqxx::connection_base> connection, std::string worker_id)
    : connection_(std::move(connection)), worker_id_(std::move(worker_id)) {
  prepare();
}

JobStore::~JobStore() = default;

void JobStore::prepare() {
  pqxx::connection_base& c = *connection_;
  c.prepare("aiw_enqueue", sql::kEnqueue);
  c.prepare("aiw_claim", sql::kClaim);
  c.prepare("aiw_outcomes", sql::kWriteOutcomes);
  c.prepare("aiw_progress", sql::kWriteProgress);
  c.prepare("aiw_heartbeat", sql::kHeartbeat);
  c.prepare("aiw_cache_lookup", sql::kCacheLookup);
  c.prepare("aiw_notify", sql::kNotify);
}

void JobStore::notify(const char* channel, const std::vector<std::string>& payloads) {
  if (payloads.empty()) return;
  try {
    pqxx::nontransaction tx(*connection_);
    tx.exec_prepared("aiw_notify", channel, text_array(payloads));
  } catch (const pqxx::failure&) {
    // The write this announces has committed; a lost connection shows on the next statement.
    // (Misuse, a logic_error, is not caught: it would drop every notification.)
  }
}

void JobStore::notify_jobs_pending(std::span<const std::string> types) {
  std::vector<std::string> distinct(types.begin(), types.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::string payload;
  for (const std::string& type : distinct) payload += (payload.empty() ? "" : ",") + type;
  if (!payload.empty()) notify("aiw_jobs_pending", {payload});
}

void JobStore::notify_job_events(std::span<const std::string> ids) {
  // A NOTIFY payload holds under 8,000 bytes: 200 ids of 36 characters and a comma fit.
  constexpr size_t kIdsPerNotify = 200;
  std::vector<std::string> payloads;
  for (size_t i = 0; i < ids.size(); i += kIdsPerNotify) {
    std::string& payload = payloads.emplace_back();
    for (size_t k = i; k < std::min(ids.size(), i + kIdsPerNotify); ++k)
      payload.append(k == i ? "" : ",").append(ids[k]);
  }
  notify("aiw_job_events", payloads);
}

std::vector<std::string> JobStore::enqueue(std::span<const NewJob> jobs, bool notify) {
  std::vector<std::string> ids;
  if (jobs.empty()) return ids;
  pqxx::result rows = pqxx::nontransaction(*connection_).exec_prepared("aiw_enqueue", new_jobs_json(jobs));
  ids.reserve(rows.size());
  for (const auto& row : rows) ids.push_back(row[0].c_str());
  if (notify) {
    std::vector<std::string> types;
    for (const NewJob& job : jobs) types.push_back(job.type);
    notify_jobs_pending(types);
  }
  return ids;
}

std::vector<ClaimedJob> JobStore::claim(std::span<const std::string> types, int limit) {
  std::vector<ClaimedJob> jobs;
  if (types.empty() || limit <= 0) return jobs;
  pqxx::nontransaction tx(*connection_);
  pqxx::result rows = tx.exec_prepared("aiw_claim", text_array(types), limit, worker_id_);
  jobs.reserve(rows.size());
  for (const auto& row : rows) {
    ClaimedJob job;
    job.id = row[0].c_str();
    job.type = row[1].c_str();
    job.input_json = row[2].c_str();
    job.user_id = row[3].c_str();
    job.attempt = row[4].as<int>();
    job.max_attempts = row[5].as<int>();
    job.priority = row[6].as<int>();
    job.queue_wait_ms = row[7].as<double>();
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<std::string> JobStore::write_outcomes(std::span<const JobOutcome> outcomes) {
  std::vector<std::string> landed;
  if (outcomes.empty()) return landed;
  pqxx::result rows =
      pqxx::nontransaction(*connection_).exec_prepared("aiw_outcomes", outcomes_json(outcomes), worker_id_);
  landed.reserve(rows.size());
  std::vector<std::string> given_back_types;
  for (const auto& row : rows) {
    landed.push_back(row[0].c_str());
    if (std::string_view(row[2].c_str()) == "give_back") given_back_types.push_back(row[1].c_str());
  }
  notify_jobs_pending(given_back_types);
  notify_job_events(landed);
  return landed;
}

void JobStore::write_progress(std::span<const Progress> progress) {
  if (progress.empty()) return;
  std::vector<std::string> moved;
  for (const auto& row :
       pqxx::nontransaction(*connection_).exec_prepared("aiw_progress", progress_json(progress), worker_id_))
    moved.push_back(row[0].c_str());
  notify_job_events(moved);
}

std::vector<std::string> JobStore::heartbeat(const WorkerBeat& beat,
                                             std::span<const std::string> in_flight) {
  pqxx::nontransaction tx(*connection_);
  pqxx::result rows = tx.exec_prepared(
      "aiw_heartbeat", beat.worker_id, beat.host, beat.pid, text_array(beat.types),
      beat.concurrency, beat.in_flight, beat.status, beat.lease_ms, beat.version,
      text_array(in_flight));
  std::vector<std::string> lost;
  for (const auto& row : rows) lost.push_back(row[0].c_str());
  return lost;
}

std::vector<ReapedJob> JobStore::reap(int64_t stuck_timeout_ms) {
  std::vector<ReapedJob> reaped;
  std::vector<std::string> woken_types;
  {
    pqxx::work tx(*connection_);
    if (!tx.exec1(sql::kReaperLock)[0].as<bool>()) return reaped;  // another worker reaps
    for (const auto& row : tx.exec_params(sql::kReap, stuck_timeout_ms)) {
      reaped.push_back({row[0].c_str(), row[1].c_str(), row[2].c_str()});
      if (reaped.back().status == "pending") woken_types.push_back(reaped.back().type);
    }
    tx.exec(sql::kPruneStoppedWorkers);
    tx.commit();
  }
  notify_jobs_pending(woken_types);
  return reaped;
}

bool JobStore::cancel(const std::string& job_id) {
  pqxx::nontransaction tx(*connection_);
  return !tx.exec_params(sql::kCancel, job_id).empty();
}

std::vector<CachedResult> JobStore::cache_lookup(std::span<const std::string> keys) {
  std::vector<CachedResult> hits;
  if (keys.empty()) return hits;
  pqxx::nontransaction tx(*connection_);
  for (const auto& row : tx.exec_prepared("aiw_cache_lookup", text_array(keys)))
    hits.push_back({row[0].c_str(), row[1].c_str()});
  return hits;
}

int JobStore::prune_finished_jobs(int64_t max_age_ms, int batch) {
  pqxx::nontransaction tx(*connection_);
  return static_cast<int>(tx.exec_params(sql::kPruneFinished, max_age_ms, batch).affected_rows());
}

int JobStore::prune_expired_cache(int batch) {
  pqxx::nontransaction tx(*connection_);
  return static_cast<int>(tx.exec_params(sql::kPruneCache, batch).affected_rows());
}

}  // namespace aiw::queue
