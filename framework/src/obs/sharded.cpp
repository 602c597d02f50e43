#include "obs/sharded.h"

namespace aiw::obs {

int this_thread_shard() {
  static std::atomic<int> next{0};
  thread_local int shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

}  // namespace aiw::obs
