// Histogram: a lock-free latency histogram with ~3% relative error, cheap enough to record on
// every stage of every job: a plain add on this thread's own shard (obs/sharded.h).
//
// Buckets are log-linear: each power of two of nanoseconds is split in 32 equal sub-buckets,
// from 1 us to ~2^40 ns (~18 min); values outside are clamped to the ends.
#pragma once

#include "obs/sharded.h"

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace aiw::obs {

class Histogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMinExp = 10;  // 2^10 ns ~ 1 us
  static constexpr int kMaxExp = 40;
  static constexpr int kBuckets = (kMaxExp - kMinExp + 1) * kSub;

  // Inline: it runs on every stage of every job, where a call and its shard lookup were
  // ~60 instructions of a stage's ~500.
  void record_ns(int64_t nanoseconds) {
    const int shard = this_thread_shard();
    Shard& s = shards_[static_cast<size_t>(shard)];
    add_to_shard(s.buckets[static_cast<size_t>(bucket_of(nanoseconds))], 1, shard);
    add_to_shard(s.sum_ns, static_cast<uint64_t>(nanoseconds > 0 ? nanoseconds : 0), shard);
  }
  uint64_t count() const;
  // Sum of all recorded values, in nanoseconds.
  uint64_t sum_ns() const;
  // Values recorded at or below ns (bucket resolution: ~3 %), for Prometheus `le` buckets.
  uint64_t count_at_most(int64_t ns) const;
  // The value (ns) at quantile q in [0, 1]; 0 when empty.
  int64_t quantile_ns(double q) const;

 private:
  static int bucket_of(int64_t ns) {
    constexpr uint64_t kMinValue = uint64_t{1} << kMinExp;
    uint64_t v = ns > static_cast<int64_t>(kMinValue) ? static_cast<uint64_t>(ns) : kMinValue;
    int exp = std::bit_width(v) - 1;  // floor(log2 v)
    if (exp > kMaxExp) return kBuckets - 1;
    int sub = static_cast<int>((v >> (exp - kSubBits)) & (kSub - 1));
    return (exp - kMinExp) * kSub + sub;
  }
  static int64_t upper_bound_of(int bucket);
  uint64_t bucket_total(int bucket) const;

  struct alignas(64) Shard {
    std::array<std::atomic<uint64_t>, kBuckets> buckets{};
    std::atomic<uint64_t> sum_ns{0};
  };
  std::array<Shard, kShards> shards_{};
};

}  // namespace aiw::obs
