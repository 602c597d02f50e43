// WorkerConfig: every setting of `aiw worker`, read from the environment with the names in
// MISSION.md (plus a few the design needs), validated at start: a bad value stops the program
// with a sentence naming the variable.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace aiw::worker {

struct WorkerConfig {
  std::string database_url;                 // DATABASE_URL (required)
  int port = 3001;                          // PORT: /health and /metrics; 0 = ephemeral
  std::string worker_id;                    // WORKER_ID (default: host name)
  int concurrency = 5;                      // WORKER_CONCURRENCY: jobs in flight
  int64_t poll_interval_ms = 1000;          // WORKER_POLL_INTERVAL_MS: safety-net poll
  int max_retries = 3;                      // WORKER_MAX_RETRIES: caps a job's max_attempts
  int64_t retry_delay_ms = 2000;            // WORKER_RETRY_DELAY_MS: backoff base
  int64_t retry_max_delay_ms = 300000;      // WORKER_RETRY_MAX_DELAY_MS: backoff cap
  int64_t stuck_job_timeout_ms = 300000;    // WORKER_STUCK_JOB_TIMEOUT_MS
  int64_t heartbeat_interval_ms = 5000;     // WORKER_HEARTBEAT_INTERVAL_MS
  int64_t lease_ms = 30000;                 // WORKER_LEASE_MS: dead after this without a beat
  int64_t drain_timeout_ms = 30000;         // WORKER_DRAIN_TIMEOUT_MS: SIGTERM grace
  int claim_batch = 0;                      // WORKER_CLAIM_BATCH: 0 = min(concurrency, 500)
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;  // WORKER_RETENTION_DAYS (7)
  bool enable_cache = true;                 // ENABLE_CACHE
  int64_t cache_ttl_hours = 24;             // CACHE_TTL_HOURS
  bool enable_metrics = true;               // ENABLE_METRICS: serve /metrics
  std::string log_level = "info";           // LOG_LEVEL
  std::vector<std::string> pipelines;       // PIPELINES_DIR or --pipelines: files or folders

  int effective_claim_batch() const;
};

using Environment = std::map<std::string, std::string>;

// The process environment as a map (for from_environment).
Environment process_environment();

// Reads and validates every setting; the error names the variable, its value and what is
// expected, e.g. "WORKER_CONCURRENCY must be a whole number from 1 to 100000, not 'five'".
Result<WorkerConfig> config_from_environment(const Environment& env);

}  // namespace aiw::worker
