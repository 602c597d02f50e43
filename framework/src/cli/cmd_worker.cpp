// aiw worker: the service that claims jobs from PostgreSQL and runs them (framework/src/worker).
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "obs/log.h"
#include "queue/db.h"
#include "worker/config.h"
#include "worker/http_endpoints.h"
#include "worker/worker.h"

#include <stdlib.h>

#include <cstdio>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw worker [--pipelines PATH]...\n"
    "Claims jobs of the types its pipelines serve from PostgreSQL (DATABASE_URL) and runs them.\n"
    "PATH is a pipeline file or a folder of them (default: PIPELINES_DIR, else ./pipelines).\n"
    "Serves GET /health and GET /metrics on PORT (3001). SIGTERM or SIGINT drains: no new\n"
    "claims, in-flight jobs finish within WORKER_DRAIN_TIMEOUT_MS, the rest go back to the queue.\n"
    "Settings (environment): DATABASE_URL, PORT, WORKER_ID, WORKER_CONCURRENCY, WORKER_POLL_INTERVAL_MS,\n"
    "WORKER_MAX_RETRIES, WORKER_RETRY_DELAY_MS, WORKER_RETRY_MAX_DELAY_MS, WORKER_STUCK_JOB_TIMEOUT_MS,\n"
    "WORKER_HEARTBEAT_INTERVAL_MS, WORKER_LEASE_MS, WORKER_DRAIN_TIMEOUT_MS, WORKER_CLAIM_BATCH,\n"
    "WORKER_RETENTION_DAYS, ENABLE_CACHE, CACHE_TTL_HOURS, ENABLE_METRICS, LOG_LEVEL, PIPELINES_DIR.\n"
    "See docs/operations.md.\n";

}  // namespace

int cmd_worker(const CommandArgs& argv) {
  Args args(argv, {"pipelines"}, {"help"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto config = worker::config_from_environment(worker::process_environment());
  if (!config) {
    std::fprintf(stderr, "aiw worker: %s\n", config.error().c_str());
    return 2;
  }
  config->pipelines = service_pipeline_paths(args, config->pipelines);
  block_stop_signals();

  auto registry = load_plugins();
  auto pipelines = worker::PipelineSet::load(config->pipelines, *registry, config->enable_cache,
                                             config->cache_ttl_hours * 3600);
  if (!pipelines) {
    std::fprintf(stderr, "aiw worker: cannot serve these pipelines:\n%s\n", pipelines.error().c_str());
    return 1;
  }
  worker::Worker w(*config, std::move(*pipelines));
  auto http = worker::serve_worker_http(*config, w);
  if (!http) {
    std::fprintf(stderr, "aiw worker: %s\n", http.error().c_str());
    return 1;
  }
  w.start();
  obs::log(obs::LogLevel::kInfo, "worker listening",
           {{"port", std::to_string((*http)->port())}, {"worker", w.id()},
            {"database", queue::redact_url(config->database_url)}});
  obs::log(obs::LogLevel::kInfo, "stop signal received; draining", {{"signal", wait_for_stop_signal()}});
  w.drain_and_stop();
  (*http)->stop();
  return 0;
}

}  // namespace aiw::cli
