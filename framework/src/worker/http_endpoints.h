// The worker's HTTP face on PORT: GET /health (200 while it reaches the database and is not
// draining, else 503 with the reason) and GET /metrics (Prometheus text; 404 when
// ENABLE_METRICS=false). Both answer on the server's I/O thread from atomics: no database call.
#pragma once

#include <memory>

#include "common/status.h"
#include "net/http_server.h"
#include "worker/config.h"

namespace aiw::worker {

class Worker;

Result<std::unique_ptr<net::HttpServer>> serve_worker_http(const WorkerConfig& config,
                                                           const Worker& worker);

}  // namespace aiw::worker
