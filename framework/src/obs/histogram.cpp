#include "obs/histogram.h"

#include <algorithm>

namespace aiw::obs {

int64_t Histogram::upper_bound_of(int bucket) {
  int exp = bucket / kSub + kMinExp;
  int sub = bucket % kSub;
  uint64_t base = uint64_t{1} << exp;
  uint64_t step = base >> kSubBits;
  return static_cast<int64_t>(base + step * static_cast<uint64_t>(sub + 1));
}

uint64_t Histogram::bucket_total(int bucket) const {
  uint64_t n = 0;
  for (const auto& s : shards_) n += s.buckets[bucket].load(std::memory_order_relaxed);
  return n;
}

uint64_t Histogram::count() const {
  uint64_t total = 0;
  for (int i = 0; i < kBuckets; ++i) total += bucket_total(i);
  return total;
}

uint64_t Histogram::sum_ns() const {
  uint64_t total = 0;
  for (const auto& s : shards_) total += s.sum_ns.load(std::memory_order_relaxed);
  return total;
}

uint64_t Histogram::count_at_most(int64_t ns) const {
  uint64_t total = 0;
  for (int i = 0; i < kBuckets && upper_bound_of(i) <= ns; ++i) total += bucket_total(i);
  return total;
}

int64_t Histogram::quantile_ns(double q) const {
  std::array<uint64_t, kBuckets> merged{};
  uint64_t total = 0;
  for (int i = 0; i < kBuckets; ++i) total += merged[i] = bucket_total(i);
  if (total == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * static_cast<double>(total) + 0.5));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += merged[i];
    if (seen >= rank) return upper_bound_of(i);
  }
  return upper_bound_of(kBuckets - 1);
}

}  // namespace aiw::obs
