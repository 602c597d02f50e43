// StageMetrics: what the framework records around every stage of every job, so that plugin
// authors write no metrics (DESIGN.md "Engine"). Counters are per-thread sharded: recording
// costs no cross-core traffic; reading sums the shards.
#pragma once

#include "obs/histogram.h"
#include "obs/sharded.h"

#include <atomic>
#include <cstdint>
#include <string>

namespace aiw::obs {

struct StageMetrics {
  std::string pipeline;
  std::string stage;       // stage id
  std::string stage_type;  // `uses`
  ShardedCounter started;    // invocations, retries included
  ShardedCounter succeeded;
  ShardedCounter failed;     // final failures (after the stage's own retries)
  ShardedCounter retried;    // invocations that will be tried again
  ShardedCounter skipped;    // not run because the job had already failed or ended
  // Calls that outlived invoke(): waiting on HTTP or a timer. Calls that end inside invoke()
  // (CPU stages) are never counted here: they hold their thread for their whole life anyway.
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> in_flight_peak{0};  // highest in_flight seen (checks `concurrency`)
  Histogram latency;                       // per invocation, start to end
  // When account_cpu is on (Engine::account_stage_cpu, before the first job): CPU time spent
  // in this stage's code on the engine's and the I/O loop's threads: invoke() with what the
  // engine does to end a call there, and the plugin's HTTP and timer callbacks. Not counted:
  // libcurl's own work on the I/O thread and threads a plugin runs itself.
  bool account_cpu = false;
  ShardedCounter cpu_ns;

  void enter() {
    int64_t now = in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
    int64_t peak = in_flight_peak.load(std::memory_order_relaxed);
    while (now > peak &&
           !in_flight_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }
  void leave() { in_flight.fetch_sub(1, std::memory_order_relaxed); }
};

}  // namespace aiw::obs
