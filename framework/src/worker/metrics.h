// WorkerMetrics: what `aiw worker` exposes on /metrics, per job type (labels type=...), next to
// the engine's per-stage metrics. Types are fixed at start (the pipelines served), so lookups
// need no lock.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "obs/histogram.h"
#include "obs/sharded.h"

namespace aiw::obs {
class PrometheusText;
}

namespace aiw::worker {

struct TypeMetrics {
  obs::ShardedCounter claimed;
  obs::ShardedCounter completed;
  obs::ShardedCounter failed;
  obs::ShardedCounter retried;
  obs::ShardedCounter cancelled;   // by a user while running
  obs::ShardedCounter given_back;  // drain, lost lease
  obs::ShardedCounter cache_hits;
  obs::Histogram queue_wait;       // claimable -> claimed
  obs::Histogram processing;       // claimed -> outcome
};

class WorkerMetrics {
 public:
  explicit WorkerMetrics(const std::vector<std::string>& types);
  // The metrics of a served type (never null for a type passed at construction).
  TypeMetrics& of(const std::string& type);

  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> database_up{false};
  std::atomic<bool> draining{false};
  obs::ShardedCounter outcome_writes;      // statements
  obs::ShardedCounter outcomes_fenced;     // outcomes whose job was no longer ours
  obs::ShardedCounter reaped;              // jobs this worker's reaper gave back or failed
  obs::ShardedCounter database_errors;     // lost connections and failed statements

  void render(obs::PrometheusText& out) const;

 private:
  std::map<std::string, std::unique_ptr<TypeMetrics>, std::less<>> types_;
};

}  // namespace aiw::worker
