// Canary membership by stable hash (gateway/canary.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "gateway/canary.h"

namespace aiw::gateway {
namespace {

std::string random_uuid(std::mt19937_64& rng) {
  uint64_t a = rng(), b = rng();
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a >> 16 & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | (b >> 48 & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

TEST(GatewayCanary, BucketsAreFixedAcrossProcessesAndReleases) {
  // SHA-256 of "<type>:<user id>"; these numbers must never change, or users would switch sides.
  EXPECT_EQ(canary_bucket("123e4567-e89b-12d3-a456-426614174000", "sofia"), 80);
  EXPECT_EQ(canary_bucket("123e4567-e89b-12d3-a456-426614174000", "meal_plan"), 61);
  EXPECT_EQ(canary_bucket("00000000-0000-0000-0000-000000000000", "exams"), 37);
}

TEST(GatewayCanary, ZeroIsNeverAndHundredIsAlways) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    std::string user = random_uuid(rng);
    EXPECT_FALSE(in_canary(user, "sofia", 0));
    EXPECT_FALSE(in_canary(user, "sofia", -5));
    EXPECT_TRUE(in_canary(user, "sofia", 100));
    EXPECT_TRUE(in_canary(user, "sofia", 250));
  }
}

TEST(GatewayCanary, ShareOfUsersMatchesThePercentWithinTolerance) {
  std::mt19937_64 rng(42);
  constexpr int kUsers = 10'000;
  int at10 = 0, at50 = 0;
  int buckets[100] = {};
  for (int i = 0; i < kUsers; ++i) {
    std::string user = random_uuid(rng);
    at10 += in_canary(user, "unified", 10);
    at50 += in_canary(user, "unified", 50);
    ++buckets[canary_bucket(user, "unified")];
  }
  // Binomial standard deviations: 30 at 10 %, 50 at 50 %; allow about 4 of them.
  EXPECT_NEAR(at10, 1000, 120);
  EXPECT_NEAR(at50, 5000, 200);
  for (int b = 0; b < 100; ++b) EXPECT_NEAR(buckets[b], 100, 45) << "bucket " << b;
}

TEST(GatewayCanary, RaisingThePercentOnlyAddsUsers) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) {
    std::string user = random_uuid(rng);
    EXPECT_TRUE(!in_canary(user, "whatsapp", 10) || in_canary(user, "whatsapp", 50)) << user;
    for (int percent = 0; percent < 100; ++percent) {
      ASSERT_TRUE(!in_canary(user, "whatsapp", percent) || in_canary(user, "whatsapp", percent + 1))
          << user << " left the canary going from " << percent << " %";
    }
  }
}

TEST(GatewayCanary, EachJobTypeDrawsItsOwnUsers) {
  std::mt19937_64 rng(11);
  int both = 0, first = 0;
  for (int i = 0; i < 10'000; ++i) {
    std::string user = random_uuid(rng);
    bool a = in_canary(user, "sofia", 10);
    first += a;
    both += a && in_canary(user, "exams", 10);
  }
  // Independent draws overlap on about 1 % of users, not on all 10 %.
  EXPECT_GT(first, 800);
  EXPECT_LT(both, 200);
}

}  // namespace
}  // namespace aiw::gateway
