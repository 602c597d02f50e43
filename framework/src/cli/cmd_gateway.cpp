// aiw gateway: the HTTP API in front of the queue (framework/src/gateway, docs/api.md).
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "gateway/config.h"
#include "gateway/gateway.h"
#include "obs/log.h"
#include "queue/db.h"


#include <cstdio>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw gateway [--pipelines PATH]...\n"
    "Serves the job API (docs/api.md) on PORT (3000): POST /v1/jobs answers 202 + id, or runs the\n"
    "pipeline in-process when the type's flag is off or no worker is alive (fallback).\n"
    "Needs DATABASE_URL and SUPABASE_JWT_SECRET. Other settings: PORT, GATEWAY_HOST,\n"
    "GATEWAY_IO_THREADS, GATEWAY_DB_CONNECTIONS, SUPABASE_JWT_AUDIENCE, PREMIUM_CLAIM,\n"
    "PREMIUM_VALUES, RATE_LIMIT_PER_MINUTE, MAX_ACTIVE_JOBS_PER_USER, AI_WORKER_TIMEOUT_MS,\n"
    "AI_WORKER_POLL_INTERVAL_MS, GATEWAY_MAX_BODY_BYTES, USE_ASYNC_SOFIA/_EXAMS/_UNIFIED/\n"
    "_MEAL_PLAN/_WHATSAPP, GATEWAY_ASYNC_DEFAULT, ALERT_PENDING_THRESHOLD, ALERT_WORKER_OFFLINE_MS,\n"
    "ALERT_WEBHOOK_URL, TRUST_X_FORWARDED_FOR, ENABLE_CACHE, CACHE_TTL_HOURS, PIPELINES_DIR.\n"
    "See docs/operations.md.\n";
}

int cmd_gateway(const CommandArgs& argv) {
  Args args(argv, {"pipelines"}, {"help"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto config = gateway::gateway_config_from_environment(worker::process_environment());
  if (!config) {
    std::fprintf(stderr, "aiw gateway: %s\n", config.error().c_str());
    return 2;
  }
  config->pipelines = service_pipeline_paths(args, config->pipelines);
  block_stop_signals();

  auto registry = load_plugins();
  std::string database = queue::redact_url(config->database_url);
  auto gw = gateway::Gateway::start(std::move(*config), *registry);
  if (!gw) {
    std::fprintf(stderr, "aiw gateway: %s\n", gw.error().c_str());
    return 1;
  }
  obs::log(obs::LogLevel::kInfo, "gateway listening",
           {{"port", std::to_string((*gw)->port())}, {"gateway", (*gw)->id()}, {"database", database}});
  obs::log(obs::LogLevel::kInfo, "stop signal received; stopping the gateway", {{"signal", wait_for_stop_signal()}});
  (*gw)->stop();
  return 0;
}

}  // namespace aiw::cli
