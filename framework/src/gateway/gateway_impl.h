// Gateway::Impl: the state the route handlers share (internal to framework/src/gateway).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "gateway/config.h"
#include "gateway/db_executor.h"
#include "gateway/enqueuer.h"
#include "gateway/events.h"
#include "gateway/gateway.h"
#include "gateway/jwt.h"
#include "gateway/metrics.h"
#include "gateway/monitor.h"
#include "gateway/rate_limiter.h"
#include "json/schema.h"
#include "net/http_server.h"
#include "worker/pipeline_set.h"

namespace aiw::gateway {

struct Gateway::Impl {
  GatewayConfig config;
  std::string id;  // gateway/<host>/<random>: its row in aiw_workers, worker_id of fallback jobs
  JwtConfig jwt;
  worker::PipelineSet pipelines;
  std::map<std::string, json::Schema> input_schemas;  // type -> compiled input schema
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<Enqueuer> enqueuer;
  std::unique_ptr<DbExecutor> db;
  std::unique_ptr<Monitor> monitor;
  GatewayMetrics metrics;
  std::unique_ptr<EventHub> events;
  std::unique_ptr<net::HttpServer> server;

  void add_routes();
};

// The caller of a request, once its token checked out.
struct Caller {
  Claims claims;
  bool service() const { return claims.is_service_role(); }
};

}  // namespace aiw::gateway
