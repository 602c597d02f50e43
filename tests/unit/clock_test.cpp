#include "obs/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace aiw::obs {

TEST(Clock, NeverGoesBackwards) {
  int64_t last = monotonic_ns();
  for (int i = 0; i < 100000; ++i) {
    int64_t now = monotonic_ns();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST(Clock, AdvancesWithSteadyClockAcrossASleep) {
  monotonic_ns();  // the first reading calibrates (~5 ms): keep it out of the interval
  auto steady_start = std::chrono::steady_clock::now();
  int64_t start = monotonic_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  int64_t elapsed = monotonic_ns() - start;
  auto steady_elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - steady_start)
                            .count();
  // The same interval on both clocks, within 1 % (the TSC rate is calibrated to ~0.1 %).
  EXPECT_GE(elapsed, 29'000'000);
  EXPECT_NEAR(static_cast<double>(elapsed), static_cast<double>(steady_elapsed),
              0.01 * static_cast<double>(steady_elapsed) + 100'000);
}

}  // namespace aiw::obs
