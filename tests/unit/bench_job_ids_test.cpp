// The ids `aiw bench` gives its jobs: uuid-shaped, the run's prefix first, one per job number,
// and the same whether made afresh or rewritten in a finished job's buffer.
#include "cli/bench_job_ids.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace aiw::testing {
namespace {

TEST(BenchJobIds, AreUuidShapedWithTheRunsPrefixAndTheJobNumberInHex) {
  cli::BenchJobIds ids(0x0a1b2c3du);
  EXPECT_EQ(ids.make(0), "0a1b2c3d-0000-4000-8000-000000000000");
  EXPECT_EQ(ids.make(0xfe), "0a1b2c3d-0000-4000-8000-0000000000fe");
  EXPECT_EQ(ids.make(0x123456789abcLL), "0a1b2c3d-0000-4000-8000-123456789abc");
  std::regex uuid("[0-9a-f]{8}-0000-4000-8000-[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(cli::BenchJobIds(0xffffffffu).make(1), uuid));
}

TEST(BenchJobIds, ARenumberedIdIsTheFreshIdOfItsNumber) {
  cli::BenchJobIds ids(0xdeadbeefu);
  std::string reused = ids.make(0xffffffffffLL);  // every digit of the number set
  std::set<std::string> seen;
  for (long long n = 0; n < 5000; n += 7) {
    cli::BenchJobIds::renumber(reused, n);
    ASSERT_EQ(reused, ids.make(n)) << n;
    seen.insert(reused);
  }
  EXPECT_EQ(seen.size(), 715u);  // all distinct
}

}  // namespace
}  // namespace aiw::testing
