// Reply: answers one request once, records its latency and status for /metrics. Cheap to copy
// into callbacks (handlers answer later from database threads).
#pragma once

#include <functional>
#include <string>

#include "gateway/metrics.h"
#include "net/http_server.h"
#include "obs/clock.h"

namespace aiw::gateway {

class Reply {
 public:
  Reply(net::HttpResponder responder, const char* route, GatewayMetrics* metrics)
      : responder_(std::move(responder)), route_(route), metrics_(metrics),
        start_ns_(obs::monotonic_ns()) {}

  void send(net::ServerResponse response) const {
    metrics_->request(route_, response.status, obs::monotonic_ns() - start_ns_);
    responder_.respond(std::move(response));
  }
  void error(int status, std::string_view code, std::string_view message, std::string_view field = "") const {
    send(net::json_error(status, code, message, field));
  }
  void json(int status, std::string body) const { send(net::ServerResponse::json(status, std::move(body))); }
  // 503 with Retry-After: the database is away; the client should try again shortly.
  void unavailable(const std::string& reason) const {
    metrics_->unavailable.add();
    auto r = net::json_error(503, "unavailable", reason + "; try again in a few seconds");
    r.set_header("Retry-After", "2");
    send(std::move(r));
  }
  // The DbExecutor's on_unavailable for this reply.
  std::function<void(const std::string&)> on_unavailable() const {
    return [copy = *this](const std::string& reason) { copy.unavailable(reason); };
  }
  void job_not_found(const std::string& id) const {
    error(404, "not_found", "no job " + id + " (or it belongs to someone else)");
  }
  const net::HttpResponder& responder() const { return responder_; }
  const char* route() const { return route_; }

 private:
  net::HttpResponder responder_;
  const char* route_;
  GatewayMetrics* metrics_;
  int64_t start_ns_;
};

}  // namespace aiw::gateway
