// A monotonic nanosecond clock cheap enough to read twice per stage of every job.
//
// On x86-64 with an invariant TSC (constant_tsc and nonstop_tsc in /proc/cpuinfo) it reads the
// time-stamp counter (a few ns) and scales it with a rate measured once against steady_clock;
// elsewhere it is steady_clock (a vDSO call, ~20-30 ns here, which was 13 % of a no-op job).
// Only differences between two readings mean anything; they agree with steady_clock to ~0.1 %.
#pragma once

#include <atomic>
#include <cstdint>

namespace aiw::obs {

namespace internal {
// The TSC's scale, measured at first use. state: 0 not measured yet, 1 the TSC is used,
// 2 steady_clock is (no invariant TSC, or not x86-64). The fields are written once, before
// state is released.
struct TscClock {
  std::atomic<int> state{0};
  double ns_per_tick = 0;
  uint64_t tick0 = 0;
  int64_t ns0 = 0;
};
inline TscClock g_tsc;
// Measures the TSC on first use; reads steady_clock when the TSC is not used.
int64_t monotonic_ns_slow();
}  // namespace internal

// Inline: read several times a job, where a call through two functions cost as much as the
// reading itself.
inline int64_t monotonic_ns() {
#if defined(__x86_64__)
  const internal::TscClock& c = internal::g_tsc;
  if (c.state.load(std::memory_order_acquire) == 1) {
    auto ticks = static_cast<int64_t>(__builtin_ia32_rdtsc() - c.tick0);
    return c.ns0 + static_cast<int64_t>(static_cast<double>(ticks) * c.ns_per_tick);
  }
#endif
  return internal::monotonic_ns_slow();
}

// CPU time this thread has used (CLOCK_THREAD_CPUTIME_ID): a system call, ~0.2-1 us, so only
// for measurements that are asked for (a stage's CPU in `aiw bench`), never on every job.
int64_t thread_cpu_ns();

}  // namespace aiw::obs
