// Per-thread shards for counters written on every stage of every job: each thread adds to its
// own cache line, so two cores never fight over one (a shared counter was ~10 % of a no-op
// job). Reading sums the shards: cheap enough for reports and scrapes, not for hot paths.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace aiw::obs {

inline constexpr int kShards = 8;

namespace internal {
int assign_shard();
// Constant-initialized, so reading it needs no TLS init guard: -1 until first use.
inline thread_local int t_shard = -1;
}  // namespace internal

// This thread's shard, fixed for its life (threads are spread round-robin).
inline int this_thread_shard() {
  int shard = internal::t_shard;
  if (shard < 0) shard = internal::t_shard = internal::assign_shard();
  return shard;
}

class ShardedCounter {
 public:
  void add(uint64_t n = 1) {
    cells_[this_thread_shard()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t load() const {
    uint64_t total = 0;
    for (const auto& c : cells_) total += c.value.load(std::memory_order_relaxed);
    return total;
  }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> value{0};
  };
  std::array<Cell, kShards> cells_{};
};

}  // namespace aiw::obs
