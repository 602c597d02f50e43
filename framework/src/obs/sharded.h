// Per-thread shards for counters written on every stage of every job: each thread adds to its
// own cache line, so two cores never fight over one (a shared counter was ~10 % of a no-op
// job). Reading sums the shards: cheap enough for reports and scrapes, not for hot paths.
//
// A thread leases a shard of its own while it lives (the first kShards - 1 threads alive at
// once; the lease goes back when the thread exits). Only that thread writes it, so adding is a
// plain load and store, not a locked read-modify-write: ~4 locked instructions a stage fewer,
// each a full barrier. Threads beyond those share the last shard and add atomically.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace aiw::obs {

inline constexpr int kShards = 8;
// The shard threads without a lease of their own share.
inline constexpr int kSharedShard = kShards - 1;

namespace internal {
int assign_shard();
// Constant-initialized, so reading it needs no TLS init guard: -1 until first use.
inline thread_local int t_shard = -1;
}  // namespace internal

// This thread's shard, fixed for its life.
inline int this_thread_shard() {
  int shard = internal::t_shard;
  if (shard < 0) shard = internal::t_shard = internal::assign_shard();
  return shard;
}

// Adds n to `cell` of shard `shard`, as this thread's shard: owned shards have one writer.
inline void add_to_shard(std::atomic<uint64_t>& cell, uint64_t n, int shard) {
  if (shard != kSharedShard) {
    cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  } else {
    cell.fetch_add(n, std::memory_order_relaxed);
  }
}

class ShardedCounter {
 public:
  void add(uint64_t n = 1) {
    int shard = this_thread_shard();
    add_to_shard(cells_[shard].value, n, shard);
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
