#include "worker/outcome.h"

#include <aiw/json.h>

#include <algorithm>
#include <cmath>

namespace aiw::worker {

int64_t retry_delay_ms(int attempt, const RetrySettings& settings, std::mt19937_64& rng) {
  double delay = static_cast<double>(settings.base_delay_ms) *
                 std::pow(2.0, std::clamp(attempt - 1, 0, 40));
  delay = std::min(delay, static_cast<double>(settings.max_delay_ms));
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return static_cast<int64_t>(delay * jitter(rng));
}

std::string timings_json(const engine::JobResult& result) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  for (const auto& s : result.stages) {
    w.StartObject();
    w.Key("stage");
    w.String(s.id.data(), static_cast<rapidjson::SizeType>(s.id.size()));
    w.Key("status");
    w.String(s.status.data(), static_cast<rapidjson::SizeType>(s.status.size()));
    w.Key("ms");
    w.Double(std::round(static_cast<double>(s.duration_ns) / 1e4) / 100.0);
    w.Key("attempts");
    w.Int(s.attempts);
    if (!s.error.empty()) {
      w.Key("error");
      w.String(s.error);
    }
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

queue::JobOutcome outcome_of(const RunningJob& job, engine::JobResult& result,
                             const RetrySettings& settings, int64_t processing_ms,
                             std::mt19937_64& rng) {
  queue::JobOutcome o;
  o.id = job.claim.id;
  o.attempt = job.claim.attempt;
  o.processing_ms = processing_ms;
  o.timings_json = timings_json(result);
  if (job.stop_reason.load() == StopReason::kGiveBack ||
      result.status == engine::JobResult::Status::kCancelled) {
    o.kind = queue::JobOutcome::Kind::kGiveBack;
    return o;
  }
  if (result.status == engine::JobResult::Status::kCompleted) {
    o.kind = queue::JobOutcome::Kind::kCompleted;
    o.result_json = std::move(result.result_json);
    o.cache_key = job.cache_key;
    o.cache_ttl_seconds = settings.cache_ttl_seconds;
    return o;
  }
  const int max_attempts = std::min(job.claim.max_attempts, settings.max_retries);
  o.error = result.error;
  if (result.error_kind == engine::ErrorKind::kRetryable && job.claim.attempt < max_attempts) {
    o.kind = queue::JobOutcome::Kind::kRetry;
    o.retry_delay_ms = result.retry_after_ms >= 0 ? result.retry_after_ms
                                                  : retry_delay_ms(job.claim.attempt, settings, rng);
    return o;
  }
  o.kind = queue::JobOutcome::Kind::kFailed;
  if (result.error_kind == engine::ErrorKind::kRetryable)
    o.error += " (gave up after " + std::to_string(job.claim.attempt) + " attempts)";
  return o;
}

}  // namespace aiw::worker
