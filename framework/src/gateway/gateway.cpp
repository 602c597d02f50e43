#include "gateway/gateway.h"

#include <unistd.h>

#include <pqxx/pqxx>

#include <random>

#include "gateway/gateway_impl.h"
#include "gateway/routes.h"
#include "gateway/sql.h"
#include "obs/log.h"
#include "plugin/registry.h"

namespace aiw::gateway {
namespace {

std::string make_gateway_id() {
  char host[128] = {};
  gethostname(host, sizeof host - 1);
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(std::random_device{}()));
  return std::string("gateway/") + host + "/" + suffix;
}

// Adapts a route function to the server's handler type, with its metrics label.
template <void (*Fn)(Gateway::Impl&, const net::ServerRequest&, Reply)>
net::Handler handler(Gateway::Impl* g, const char* route) {
  return [g, route](const net::ServerRequest& req, net::HttpResponder responder) {
    Fn(*g, req, Reply(std::move(responder), route, &g->metrics));
  };
}

}  // namespace

void Gateway::Impl::add_routes() {
  net::HttpServer& s = *server;
  s.route("POST", "/v1/jobs", handler<post_job>(this, "POST /v1/jobs"));
  s.route("GET", "/v1/jobs", handler<list_jobs>(this, "GET /v1/jobs"));
  s.route("GET", "/v1/jobs/{id}", handler<get_job>(this, "GET /v1/jobs/{id}"));
  s.route("POST", "/v1/jobs/{id}/cancel", handler<cancel_job>(this, "POST /v1/jobs/{id}/cancel"));
  s.route("POST", "/v1/jobs/{id}/retry", handler<retry_job>(this, "POST /v1/jobs/{id}/retry"));
  s.route("GET", "/v1/jobs/{id}/events", handler<job_events>(this, "GET /v1/jobs/{id}/events"));
  s.route("GET", "/health", handler<gateway::health>(this, "GET /health"));
  s.route("GET", "/metrics", handler<gateway::metrics>(this, "GET /metrics"));
  s.route("GET", "/v1/admin/flags", handler<get_flags>(this, "GET /v1/admin/flags"));
  s.route("PUT", "/v1/admin/flags/{type}", handler<put_flag>(this, "PUT /v1/admin/flags/{type}"));
  s.route("GET", "/v1/admin/alerts", handler<get_alerts>(this, "GET /v1/admin/alerts"));
  s.route("GET", "/v1/admin/stats", handler<get_stats>(this, "GET /v1/admin/stats"));
  s.route("GET", "/admin", handler<gateway::dashboard>(this, "GET /admin"));
}

Result<std::unique_ptr<Gateway>> Gateway::start(GatewayConfig config, const plugin::PluginRegistry& registry) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  const GatewayConfig& c = impl->config;
  impl->id = make_gateway_id();
  auto pipelines = worker::PipelineSet::load(c.pipelines, registry, c.enable_cache, c.cache_ttl_hours * 3600);
  if (!pipelines) return Status::error("cannot serve these pipelines:\n" + pipelines.error());
  impl->pipelines = std::move(*pipelines);
  for (const auto& [type, p] : impl->pipelines.all()) {
    const std::string& schema_text = p->engine->spec().input_schema_json;
    auto schema = schema_text.empty() ? Result<json::Schema>(json::Schema()) : json::Schema::compile_text(schema_text);
    if (!schema) return Status::error("pipeline " + type + ": its input schema: " + schema.error());
    impl->input_schemas.emplace(type, std::move(*schema));
  }
  impl->jwt.secret = c.jwt_secret;
  impl->jwt.audience = c.jwt_audience.empty() ? std::nullopt : std::optional<std::string>(c.jwt_audience);
  impl->jwt.premium_claim_path = c.premium_claim;
  impl->jwt.premium_values = c.premium_values;
  RateLimitConfig rate;
  rate.requests = c.rate_limit_per_minute;
  impl->limiter = std::make_unique<RateLimiter>(rate);
  impl->enqueuer = std::make_unique<Enqueuer>(c.database_url, c.max_active_jobs_per_user);
  const std::string limit = std::to_string(c.max_active_jobs_per_user);
  impl->db = std::make_unique<DbExecutor>(c.database_url, impl->id, c.db_connections, [limit](queue::JobStore& store) {
    pqxx::nontransaction tx(store.connection());
    tx.exec("set aiw.max_active_jobs_per_user = " + limit);
    // The one read on the hot path (every GET /v1/jobs/{id}): parsed and planned once per
    // connection, not per request.
    store.connection().prepare(sql::kGetJobStatement, sql::kGetJob);
  });
  impl->monitor = std::make_unique<Monitor>(impl->config, impl->id);
  impl->monitor->start();
  impl->events = std::make_unique<EventHub>(c.database_url);
  impl->events->start();
  net::HttpServerOptions options;
  options.host = c.host;
  options.port = static_cast<uint16_t>(c.port);
  options.io_threads = c.io_threads;
  options.max_body_bytes = c.max_body_bytes;
  impl->server = std::make_unique<net::HttpServer>(options);
  impl->add_routes();
  if (Status s = impl->server->start(); !s.ok()) return Status::error("cannot listen on PORT " + std::to_string(c.port) + ": " + s.message());
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() { stop(); }

void Gateway::stop() {
  if (!impl_ || !impl_->server) return;
  impl_->events->stop();
  impl_->server->stop();
  for (const auto& [type, p] : impl_->pipelines.all()) p->engine->wait_idle();
  impl_->monitor->stop();
  impl_->enqueuer.reset();
  impl_->db.reset();
  impl_->server.reset();
}

uint16_t Gateway::port() const { return impl_->server ? impl_->server->port() : 0; }

const std::string& Gateway::id() const { return impl_->id; }

}  // namespace aiw::gateway
