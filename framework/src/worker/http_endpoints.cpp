#include "worker/http_endpoints.h"

#include "obs/prometheus.h"
#include "worker/worker.h"

namespace aiw::worker {

Result<std::unique_ptr<net::HttpServer>> serve_worker_http(const WorkerConfig& config,
                                                           const Worker& worker) {
  net::HttpServerOptions options;
  options.port = static_cast<uint16_t>(config.port);
  auto server = std::make_unique<net::HttpServer>(options);
  const Worker* w = &worker;
  server->route("GET", "/health", [w](const net::ServerRequest&, net::HttpResponder responder) {
    auto health = w->health();
    std::string body = std::string(R"({"status":")") + (health.ok ? "ok" : "unavailable") +
                       R"(","worker":")" + w->id() + R"(","in_flight":)" +
                       std::to_string(w->in_flight()) + R"(,"reason":")" + health.reason + "\"}";
    auto response = net::ServerResponse::json(health.ok ? 200 : 503, std::move(body));
    if (!health.ok) response.set_header("Retry-After", "5");
    responder.respond(std::move(response));
  });
  if (config.enable_metrics) {
    server->route("GET", "/metrics", [w](const net::ServerRequest&, net::HttpResponder responder) {
      auto response = net::ServerResponse::text(200, w->metrics_text());
      response.content_type(obs::PrometheusText::kContentType);
      responder.respond(std::move(response));
    });
  }
  if (Status s = server->start(); !s.ok())
    return Status::error("cannot serve /health and /metrics on PORT " + std::to_string(config.port) + ": " +
                         s.message());
  return server;
}

}  // namespace aiw::worker
