// Per-IP rate limiting (gateway/rate_limiter.h). Time is injected: no test sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gateway/rate_limiter.h"

namespace aiw::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = RateLimiter::Clock::time_point;

const TimePoint kStart = TimePoint() + std::chrono::hours(1000);

TEST(GatewayRateLimiter, AllowsFiftyThenDeniesWithRetryAfter) {
  RateLimiter limiter;
  for (int i = 0; i < 50; ++i) {
    RateDecision d = limiter.check("203.0.113.7", kStart);
    ASSERT_TRUE(d.allowed) << "request " << i;
    EXPECT_EQ(d.remaining, 49 - i);
  }
  RateDecision denied = limiter.check("203.0.113.7", kStart);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_seconds, 2);  // one slot frees after 1.2 s, rounded up
  EXPECT_EQ(denied.remaining, 0);
}

TEST(GatewayRateLimiter, RetryAfterIsAtLeastOneSecond) {
  RateLimiter limiter(RateLimitConfig{.requests = 1000, .period = seconds(1)});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.check("198.51.100.1", kStart).allowed);
  RateDecision denied = limiter.check("198.51.100.1", kStart);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_seconds, 1);  // 1 ms away, but Retry-After counts whole seconds
}

TEST(GatewayRateLimiter, RecoversAsTimeAdvances) {
  RateLimiter limiter;
  const std::string ip = "2001:db8::1";
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limiter.check(ip, kStart).allowed);
  EXPECT_FALSE(limiter.check(ip, kStart + milliseconds(1199)).allowed);
  EXPECT_TRUE(limiter.check(ip, kStart + milliseconds(1200)).allowed);  // one slot back
  EXPECT_FALSE(limiter.check(ip, kStart + milliseconds(1200)).allowed);
  // After a full period the whole burst is available again.
  TimePoint later = kStart + seconds(61) + milliseconds(200);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limiter.check(ip, later).allowed) << i;
  EXPECT_FALSE(limiter.check(ip, later).allowed);
}

TEST(GatewayRateLimiter, RetryAfterIsHonestAboutWhenTheNextRequestFits) {
  RateLimiter limiter(RateLimitConfig{.requests = 5, .period = seconds(60)});  // one per 12 s
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.check("192.0.2.9", kStart).allowed);
  RateDecision denied = limiter.check("192.0.2.9", kStart + seconds(3));
  ASSERT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_seconds, 9);
  EXPECT_FALSE(limiter.check("192.0.2.9", kStart + seconds(11)).allowed);
  EXPECT_TRUE(limiter.check("192.0.2.9", kStart + seconds(12)).allowed);
}

TEST(GatewayRateLimiter, DeniedRequestsDoNotPushTheWindowFurther) {
  RateLimiter limiter;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limiter.check("192.0.2.1", kStart).allowed);
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.check("192.0.2.1", kStart).allowed);
  EXPECT_TRUE(limiter.check("192.0.2.1", kStart + milliseconds(1200)).allowed);
}

TEST(GatewayRateLimiter, EachIpHasItsOwnAllowance) {
  RateLimiter limiter;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limiter.check("10.0.0.1", kStart).allowed);
  EXPECT_FALSE(limiter.check("10.0.0.1", kStart).allowed);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limiter.check("10.0.0.2", kStart).allowed);
  EXPECT_TRUE(limiter.check("::ffff:10.0.0.1", kStart).allowed);  // another key, another bucket
}

TEST(GatewayRateLimiter, ConcurrentCallersGetExactlyTheAllowance) {
  RateLimiter limiter;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  std::atomic<int> allowed_shared{0};
  std::atomic<int> allowed_own{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (limiter.check("203.0.113.50", kStart).allowed) ++allowed_shared;
        // Many distinct clients too, so shards are contended from every side.
        std::string ip = "10." + std::to_string(t) + "." + std::to_string(i % 250) + ".1";
        if (limiter.check(ip, kStart).allowed) ++allowed_own;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed_shared.load(), 50);
  EXPECT_EQ(allowed_own.load(), kThreads * kPerThread);  // 8 requests per key, under 50
}

TEST(GatewayRateLimiter, MemoryStaysBoundedUnderManyLiveClients) {
  RateLimitConfig config;
  config.max_keys = 6400;
  RateLimiter limiter(config);
  for (int i = 0; i < 100'000; ++i) {
    std::string ip = "2001:db8::" + std::to_string(i);
    ASSERT_TRUE(limiter.check(ip, kStart).allowed);  // all still live: none has expired
  }
  EXPECT_LE(limiter.size(), 6400u);
  EXPECT_GT(limiter.size(), 6400u / 2);
}

TEST(GatewayRateLimiter, ExpiredEntriesAreSweptAndForgetNothingThatMatters) {
  RateLimiter limiter;
  for (int i = 0; i < 1000; ++i) limiter.check("192.0.2." + std::to_string(i), kStart);
  for (int i = 0; i < 50; ++i) limiter.check("198.51.100.200", kStart);
  EXPECT_EQ(limiter.size(), 1001u);
  // One request each is 1.2 s of state; the busy client holds 60 s.
  EXPECT_EQ(limiter.sweep(kStart + seconds(2)), 1000u);
  EXPECT_EQ(limiter.size(), 1u);
  EXPECT_FALSE(limiter.check("198.51.100.200", kStart + seconds(1)).allowed);  // still limited
  EXPECT_EQ(limiter.sweep(kStart + seconds(61)), 1u);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(GatewayRateLimiter, FullShardsKeepTheClientsHoldingTheMostState) {
  RateLimitConfig config;
  config.max_keys = 640;
  RateLimiter limiter(config);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limiter.check("198.51.100.99", kStart).allowed);
  // Thousands of one-off clients, long after their entries expire, never evict the busy one.
  for (int i = 0; i < 5000; ++i) {
    limiter.check("192.0.2." + std::to_string(i), kStart + seconds(10) + milliseconds(i * 2));
  }
  EXPECT_LE(limiter.size(), 640u);
  // Remembered: 20 s gave back 16 of its 50 slots. Forgotten, it would get all 50.
  int allowed = 0;
  for (int i = 0; i < 50; ++i)
    allowed += limiter.check("198.51.100.99", kStart + seconds(20)).allowed;
  EXPECT_EQ(allowed, 16);
}

TEST(GatewayRateLimiter, ConfigValidationNamesTheProblem) {
  EXPECT_TRUE(validate(RateLimitConfig{}).ok());
  EXPECT_FALSE(validate(RateLimitConfig{.requests = 0}).ok());
  EXPECT_FALSE(validate(RateLimitConfig{.requests = 50, .period = milliseconds(10)}).ok());
  EXPECT_FALSE(validate(RateLimitConfig{.max_keys = 0}).ok());
}

}  // namespace
}  // namespace aiw::gateway
