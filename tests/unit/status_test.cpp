#include "common/status.h"

#include <gtest/gtest.h>

namespace aiw {

TEST(Status, DefaultIsOkAndErrorCarriesItsSentence) {
  EXPECT_TRUE(Status().ok());
  Status s = Status::error("WORKER_CONCURRENCY must be a positive integer");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "WORKER_CONCURRENCY must be a positive integer");
}

TEST(Result, HoldsEitherValueOrError) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad = Status::error("no");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "no");
}

}  // namespace aiw
