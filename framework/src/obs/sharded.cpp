#include "obs/sharded.h"

namespace aiw::obs {
namespace {

// Bit i set: shard i is leased by a live thread.
std::atomic<uint32_t> g_leased{0};

// Held by each thread that leased a shard; gives it back when the thread exits. The release
// pairs with the next taker's acquire, so the new owner's first load sees the last store.
struct ShardLease {
  int shard = kSharedShard;
  ~ShardLease() {
    if (shard == kSharedShard) return;
    // Anything this thread still records (from a later thread_local destructor) goes to the
    // shared shard, atomically: the leased one may already be another thread's.
    internal::t_shard = kSharedShard;
    g_leased.fetch_and(~(1u << shard), std::memory_order_release);
  }
};

int lease_free_shard() {
  uint32_t leased = g_leased.load(std::memory_order_relaxed);
  for (;;) {
    int free = -1;
    for (int i = 0; i < kSharedShard; ++i)
      if ((leased & (1u << i)) == 0) {
        free = i;
        break;
      }
    if (free < 0) return kSharedShard;
    if (g_leased.compare_exchange_weak(leased, leased | (1u << free), std::memory_order_acquire,
                                       std::memory_order_relaxed))
      return free;
  }
}

}  // namespace

int internal::assign_shard() {
  // Reached once per thread (this_thread_shard() caches the answer in t_shard).
  static thread_local ShardLease lease{lease_free_shard()};
  return lease.shard;
}

}  // namespace aiw::obs
