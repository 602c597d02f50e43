// GatewayConfig: every setting of `aiw gateway`, from the environment (names from MISSION.md
// where it has them), checked at start: a bad value stops the program with a sentence naming it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/config.h"

namespace aiw::gateway {

struct GatewayConfig {
  std::string database_url;                 // DATABASE_URL (required)
  int port = 3000;                          // PORT
  std::string host = "0.0.0.0";             // GATEWAY_HOST
  int io_threads = 1;                       // GATEWAY_IO_THREADS
  int db_connections = 4;                   // GATEWAY_DB_CONNECTIONS: readers and writers
  std::string jwt_secret;                   // SUPABASE_JWT_SECRET (required)
  std::string jwt_audience = "authenticated";  // SUPABASE_JWT_AUDIENCE ("" = not checked)
  std::string premium_claim = "app_metadata.plan";  // PREMIUM_CLAIM
  std::vector<std::string> premium_values = {"premium"};  // PREMIUM_VALUES (comma-separated)
  int rate_limit_per_minute = 50;           // RATE_LIMIT_PER_MINUTE (per client IP)
  int max_active_jobs_per_user = 10;        // MAX_ACTIVE_JOBS_PER_USER (0 = none)
  int64_t worker_timeout_ms = 30000;        // AI_WORKER_TIMEOUT_MS: in-process fallback deadline
  int64_t poll_interval_ms = 2000;          // AI_WORKER_POLL_INTERVAL_MS: poll_after_ms hint
  size_t max_body_bytes = 1 << 20;          // GATEWAY_MAX_BODY_BYTES
  int64_t alert_pending_threshold = 50;     // ALERT_PENDING_THRESHOLD
  int64_t alert_worker_offline_ms = 300000; // ALERT_WORKER_OFFLINE_MS
  std::string alert_webhook_url;            // ALERT_WEBHOOK_URL
  bool trust_forwarded_for = false;         // TRUST_X_FORWARDED_FOR: behind a proxy
  // USE_ASYNC_SOFIA / _EXAMS / _UNIFIED / _MEAL_PLAN / _WHATSAPP: the flag of a type until the
  // aiw_flags table says otherwise. Types not listed default to GATEWAY_ASYNC_DEFAULT (false).
  std::map<std::string, bool> async_defaults;
  bool async_default = false;
  std::vector<std::string> pipelines;       // PIPELINES_DIR or --pipelines
  bool enable_cache = true;                 // ENABLE_CACHE
  int64_t cache_ttl_hours = 24;             // CACHE_TTL_HOURS
};

Result<GatewayConfig> gateway_config_from_environment(const worker::Environment& env);

}  // namespace aiw::gateway
