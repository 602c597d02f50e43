// JobPool: job blocks are recycled per engine, and each thread keeps its last few given-back
// blocks for itself (the block stays in that core's cache). Under ASan these tests also prove the
// lifetime rules: nothing leaks and nothing is used after its pool is gone.
#include <gtest/gtest.h>

#include <thread>

#include "engine/job_pool.h"

namespace aiw::testing {
namespace {

using engine::JobPool;

TEST(JobPool, ABlockGivenBackIsTakenAgainByTheSameThreadAndNotByAnother) {
  auto* pool = new JobPool(256);
  void* first = pool->take();
  pool->give_back(first);
  void* on_other_thread = nullptr;
  std::thread([&] { on_other_thread = pool->take(); }).join();
  EXPECT_NE(on_other_thread, first) << "the block is in this thread's cache, not shared";
  EXPECT_EQ(pool->take(), first) << "this thread takes its own block back";
  pool->give_back(first);
  pool->give_back(on_other_thread);
  pool->close();
}

TEST(JobPool, AClosedPoolLivesUntilTheBlocksInOtherThreadsCachesComeBack) {
  auto* pool = new JobPool(256);
  void* held = pool->take();
  std::thread worker([&] {
    void* block = pool->take();
    pool->give_back(block);  // cached by this thread
    pool->close();           // the engine goes while a block sits in the cache and one is held
    pool->give_back(held);   // closed: straight back, the pool stays for the cached block
  });                        // thread exit flushes its cache: the last block deletes the pool
  worker.join();
}

TEST(JobPool, AThreadServingAnotherPoolHandsTheFirstPoolsBlocksBack) {
  auto* a = new JobPool(128);
  auto* b = new JobPool(512);
  void* block_a = a->take();
  a->give_back(block_a);  // in this thread's cache, for a
  a->close();             // a waits for that block
  void* block_b = b->take();
  b->give_back(block_b);  // the cache now serves b: a's block goes back and a is deleted
  EXPECT_EQ(b->take(), block_b);
  b->give_back(block_b);
  b->close();
}

}  // namespace
}  // namespace aiw::testing
