// What bench/queue measures on each side (aiw, graphile-worker), and how it is printed.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace aiw::bench {

struct DrainResult {
  int64_t jobs = 0;
  double enqueue_per_s = 0;  // batched enqueue, before the worker starts
  double drain_s = 0;        // worker start -> last job completed (poll resolution 100 ms)
  double drain_per_s = 0;    // jobs / drain_s
  double steady_per_s = 0;   // between 10 % and 90 % drained: start-up and tail left out
};

struct PickupResult {
  int samples = 0;
  double p50 = 0, p95 = 0, p99 = 0, max = 0;  // milliseconds, insert commit -> stage start
};

// Enqueue concurrently with a running worker at a fixed offered rate.
struct ProduceResult {
  double seconds = 0;
  double offered_per_s = 0;
  double enqueued_per_s = 0;
  double completed_per_s = 0;
  std::vector<double> completed_per_s_by_window;  // 10 s windows: shows decay, if any
  int64_t max_backlog = 0;
  int64_t final_backlog = 0;
  int64_t max_dead_tuples = 0;
  int64_t autovacuums = 0;
};

struct SideResult {
  int round = 0;
  std::string name;
  std::string settings;
  DrainResult drain;
  PickupResult pickup;
  ProduceResult produce;  // seconds == 0: not run
};

inline PickupResult summarize(std::vector<double> ms) {
  PickupResult r;
  r.samples = static_cast<int>(ms.size());
  if (ms.empty()) return r;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double p) {
    return ms[std::min(ms.size() - 1,
                       static_cast<size_t>(p / 100.0 * static_cast<double>(ms.size())))];
  };
  r.p50 = at(50);
  r.p95 = at(95);
  r.p99 = at(99);
  r.max = ms.back();
  return r;
}

// Microseconds since the Unix epoch on CLOCK_REALTIME: the clock testkit.clock stamps with, so
// times from different processes on this machine compare.
inline int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Drain rate between 10 % and 90 % done, from (seconds, jobs left) samples.
inline double steady_rate(const std::vector<std::pair<double, int64_t>>& trace, int64_t jobs) {
  auto first_at = [&](double fraction) {
    for (const auto& s : trace)
      if (static_cast<double>(s.second) <= static_cast<double>(jobs) * (1 - fraction)) return s;
    return trace.back();
  };
  auto [s10, l10] = first_at(0.1);
  auto [s90, l90] = first_at(0.9);
  return s90 > s10 ? static_cast<double>(l10 - l90) / (s90 - s10) : 0;
}

}  // namespace aiw::bench
