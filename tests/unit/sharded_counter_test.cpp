// Per-thread shards (obs/sharded.h): a thread adds to its own shard with a plain store, so the
// totals are exact only if no two live threads ever own one shard. These tests count from more
// threads than there are shards, and from threads that come and go, and check every add.
#include "obs/histogram.h"
#include "obs/sharded.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using aiw::obs::Histogram;
using aiw::obs::kShards;
using aiw::obs::ShardedCounter;

TEST(ShardedCounter, AddsFromMoreThreadsThanShardsAtOnceAreAllCounted) {
  ShardedCounter counter;
  Histogram histogram;
  constexpr int kThreads = kShards * 3;  // most of them share the last shard
  constexpr int kAdds = 200000;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // all add at once
      for (int i = 0; i < kAdds; ++i) {
        counter.add();
        histogram.record_ns(2000);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.load(), static_cast<uint64_t>(kThreads) * kAdds);
  EXPECT_EQ(histogram.count(), static_cast<uint64_t>(kThreads) * kAdds);
  EXPECT_EQ(histogram.sum_ns(), static_cast<uint64_t>(kThreads) * kAdds * 2000);
}

TEST(ShardedCounter, AShardGivenBackByAnExitedThreadKeepsItsCountForTheNextOwner) {
  ShardedCounter counter;
  // Waves of threads, each wave alive together: later waves take over the shards the earlier
  // ones gave back, and must add to what those left, not overwrite it.
  constexpr int kWaves = 6;
  constexpr int kPerWave = kShards - 1;
  constexpr int kAdds = 200000;
  for (int wave = 0; wave < kWaves; ++wave) {
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kPerWave; ++t)
      threads.emplace_back([&] {
        ready.fetch_add(1);
        while (ready.load() < kPerWave) std::this_thread::yield();
        for (int i = 0; i < kAdds; ++i) counter.add(3);
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(counter.load(), static_cast<uint64_t>(wave + 1) * kPerWave * kAdds * 3);
  }
}

}  // namespace
