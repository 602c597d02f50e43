#include "obs/clock.h"

#include <time.h>

#include <chrono>
#include <fstream>
#include <string>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace aiw::obs {
namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool cpu_has_invariant_tsc() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0)
      return line.find(" constant_tsc") != std::string::npos &&
             line.find(" nonstop_tsc") != std::string::npos;
  }
  return false;
}

// Measures the TSC's rate against steady_clock (~5 ms) and publishes it in g_tsc, or marks
// steady_clock as the clock to read.
bool calibrate() {
  internal::TscClock& c = internal::g_tsc;
#if defined(__x86_64__)
  if (cpu_has_invariant_tsc()) {
    // ~5 ms against steady_clock at first use: enough for 0.1 % on the rate.
    int64_t ns_start = steady_ns();
    uint64_t tick_start = __rdtsc();
    int64_t ns_end = ns_start;
    while (ns_end - ns_start < 5'000'000) ns_end = steady_ns();
    uint64_t tick_end = __rdtsc();
    if (tick_end > tick_start) {
      c.ns_per_tick = static_cast<double>(ns_end - ns_start) / static_cast<double>(tick_end - tick_start);
      c.tick0 = tick_end;
      c.ns0 = ns_end;
      c.state.store(1, std::memory_order_release);
      return true;
    }
  }
#endif
  c.state.store(2, std::memory_order_release);
  return false;
}

}  // namespace

namespace internal {

int64_t monotonic_ns_slow() {
  static const bool tsc = calibrate();  // once, whichever thread comes first
  if (tsc) return monotonic_ns();
  return steady_ns();
}

}  // namespace internal

int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace aiw::obs
