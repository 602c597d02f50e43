#include "obs/sharded.h"

namespace aiw::obs {

int internal::assign_shard() {
  static std::atomic<int> next{0};
  return next.fetch_add(1, std::memory_order_relaxed) % kShards;
}

}  // namespace aiw::obs
