#include "gateway/metrics.h"

#include "gateway/monitor.h"
#include "obs/prometheus.h"

namespace aiw::gateway {

GatewayMetrics::Route& GatewayMetrics::route_of(const std::string& route) {
  std::lock_guard lock(mu_);
  auto& slot = routes_[route];
  if (!slot) slot = std::make_unique<Route>();
  return *slot;
}

GatewayMetrics::Type& GatewayMetrics::type_of(const std::string& type) {
  std::lock_guard lock(mu_);
  auto& slot = types_[type];
  if (!slot) slot = std::make_unique<Type>();
  return *slot;
}

void GatewayMetrics::request(const std::string& route, int status, int64_t nanoseconds) {
  Route& r = route_of(route);
  r.latency.record_ns(nanoseconds);
  r.by_class[std::clamp(status / 100, 0, 5)].add();
}

void GatewayMetrics::accepted(const std::string& type, bool fallback) {
  Type& t = type_of(type);
  (fallback ? t.fallback : t.async).add();
}

void GatewayMetrics::render(obs::PrometheusText& out, const SystemSnapshot& system) const {
  std::lock_guard lock(mu_);
  for (const auto& [route, r] : routes_)
    out.histogram("aiw_gateway_request_duration_seconds", "Gateway latency, request read to response queued.",
                  {{"route", route}}, r->latency);
  static const char* kClasses[] = {"0xx", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (const auto& [route, r] : routes_)
    for (int c = 1; c < 6; ++c)
      if (uint64_t n = r->by_class[c].load(); n > 0)
        out.counter("aiw_gateway_responses_total", "Responses by route and status class.",
                    {{"route", route}, {"class", kClasses[c]}}, n);
  for (const auto& [type, t] : types_)
    out.counter("aiw_gateway_jobs_accepted_total", "Jobs accepted, by type and path (queue or in-process fallback).",
                {{"type", type}, {"path", "queue"}}, t->async.load());
  for (const auto& [type, t] : types_)
    out.counter("aiw_gateway_jobs_accepted_total", "", {{"type", type}, {"path", "fallback"}}, t->fallback.load());
  out.counter("aiw_gateway_rate_limited_total", "Requests refused by the per-IP rate limit.", {}, rate_limited.load());
  out.counter("aiw_gateway_auth_failures_total", "Requests refused for a missing or invalid token.", {}, auth_failures.load());
  out.counter("aiw_gateway_active_limit_total", "Jobs refused by the per-user active-job limit.", {}, over_active_limit.load());
  out.counter("aiw_gateway_unavailable_total", "Requests answered 503 because the database was away.", {}, unavailable.load());
  for (const auto& [type, statuses] : system.depth)
    for (const auto& [status, n] : statuses)
      out.gauge("aiw_queue_depth", "Jobs by type and status (pending, processing).",
                {{"type", type}, {"status", status}}, static_cast<double>(n));
  out.gauge("aiw_live_workers", "Workers whose heartbeat is within their lease.", {}, system.live_workers);
  for (const auto& [type, n] : system.live_workers_by_type)
    out.gauge("aiw_live_workers_by_type", "Live workers serving each type.", {{"type", type}}, n);
  out.gauge("aiw_gateway_database_up", "1 while the gateway's monitor reaches PostgreSQL.", {}, system.database_up ? 1 : 0);
  out.gauge("aiw_alerts_firing", "Alerts firing now (see /v1/admin/alerts).", {}, static_cast<double>(system.alerts.size()));
}

}  // namespace aiw::gateway
