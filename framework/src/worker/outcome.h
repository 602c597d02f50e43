// What a finished engine job means for its row: completed, retried later, failed for good, or
// given back; and the backoff of retries (DESIGN.md "Queue": base x 2^(attempt-1), jitter,
// capped; a stage's Retry-After wins).
#pragma once

#include <cstdint>
#include <random>

#include "engine/job_result.h"
#include "queue/job_store.h"
#include "worker/running_jobs.h"

namespace aiw::worker {

struct RetrySettings {
  int max_retries = 3;             // caps the row's max_attempts
  int64_t base_delay_ms = 2000;
  int64_t max_delay_ms = 300000;
  int64_t cache_ttl_seconds = 0;   // for completed jobs with a cache key
};

// base x 2^(attempt-1), capped, times a uniform factor in [0.75, 1.25]: consecutive delays
// still grow (0.75 x 2 > 1.25) while workers that failed together spread out.
int64_t retry_delay_ms(int attempt, const RetrySettings& settings, std::mt19937_64& rng);

// The row update for a job whose engine run ended with result. Jobs stopped as kCancelled
// must not be passed here (nothing is written for them).
queue::JobOutcome outcome_of(const RunningJob& job, engine::JobResult& result,
                             const RetrySettings& settings, int64_t processing_ms,
                             std::mt19937_64& rng);

// Per-stage timings as JSON: [{"stage":"detect","status":"ok","ms":12.5,"attempts":1}, ...]
std::string timings_json(const engine::JobResult& result);

}  // namespace aiw::worker
