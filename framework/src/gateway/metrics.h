// GatewayMetrics: what `aiw gateway` records per request and per job type for /metrics.
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "obs/histogram.h"
#include "obs/sharded.h"

namespace aiw::obs {
class PrometheusText;
}

namespace aiw::gateway {

struct SystemSnapshot;

class GatewayMetrics {
 public:
  // Request latency by route (the pattern, e.g. "POST /v1/jobs") and status class.
  void request(const std::string& route, int status, int64_t nanoseconds);
  void accepted(const std::string& type, bool fallback);
  obs::ShardedCounter rate_limited;
  obs::ShardedCounter auth_failures;
  obs::ShardedCounter over_active_limit;
  obs::ShardedCounter unavailable;

  void render(obs::PrometheusText& out, const SystemSnapshot& system) const;

 private:
  struct Route {
    obs::Histogram latency;
    std::array<obs::ShardedCounter, 6> by_class;
  };
  struct Type {
    obs::ShardedCounter async;
    obs::ShardedCounter fallback;
  };
  Route& route_of(const std::string& route);
  Type& type_of(const std::string& type);

  mutable std::mutex mu_;  // guards the maps' shape only (entries are created once)
  std::map<std::string, std::unique_ptr<Route>> routes_;
  std::map<std::string, std::unique_ptr<Type>> types_;
};

}  // namespace aiw::gateway
