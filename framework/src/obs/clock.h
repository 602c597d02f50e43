// A monotonic nanosecond clock cheap enough to read twice per stage of every job.
//
// On x86-64 with an invariant TSC (constant_tsc and nonstop_tsc in /proc/cpuinfo) it reads the
// time-stamp counter (a few ns) and scales it with a rate measured once against steady_clock;
// elsewhere it is steady_clock (a vDSO call, ~20-30 ns here, which was 13 % of a no-op job).
// Only differences between two readings mean anything; they agree with steady_clock to ~0.1 %.
#pragma once

#include <cstdint>

namespace aiw::obs {

int64_t monotonic_ns();

// CPU time this thread has used (CLOCK_THREAD_CPUTIME_ID): a system call, ~0.2-1 us, so only
// for measurements that are asked for (a stage's CPU in `aiw bench`), never on every job.
int64_t thread_cpu_ns();

}  // namespace aiw::obs
