#include "engine/job_pool.h"

#include <new>

// Under AddressSanitizer a block is poisoned while it sits in the pool, so that touching a job
// after it went back (a late callback reaching a finished job) is reported like a use after
// free, which the pool would otherwise hide.
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define AIW_POOL_POISON(block, bytes) ASAN_POISON_MEMORY_REGION(block, bytes)
#define AIW_POOL_UNPOISON(block, bytes) ASAN_UNPOISON_MEMORY_REGION(block, bytes)
#else
#define AIW_POOL_POISON(block, bytes) ((void)(block), (void)(bytes))
#define AIW_POOL_UNPOISON(block, bytes) ((void)(block), (void)(bytes))
#endif

namespace aiw::engine {

struct JobPool::ThreadCache {
  static constexpr int kBlocks = 8;
  JobPool* pool = nullptr;  // whose blocks these are (alive while count > 0)
  void* blocks[kBlocks];
  int count = 0;

  ~ThreadCache() { flush(); }
  // Everything back to the shared list; may delete a closed pool with the last block.
  void flush() {
    JobPool* owner = pool;
    int n = count;
    pool = nullptr;
    count = 0;
    for (int i = 0; i < n; ++i) owner->give_back_shared(blocks[i]);
  }
};

thread_local JobPool::ThreadCache JobPool::t_cache_;

JobPool::~JobPool() {
  for (void* block : idle_) release_block(block);
}

void* JobPool::take() {
  ThreadCache& cache = t_cache_;
  if (cache.pool == this && cache.count > 0) {  // still counted
    void* block = cache.blocks[--cache.count];
    AIW_POOL_UNPOISON(block, block_bytes_);
    return block;
  }
  {
    tbb::spin_mutex::scoped_lock lock(mu_);
    ++taken_;
    if (!idle_.empty()) {
      void* block = idle_.back();
      idle_.pop_back();
      AIW_POOL_UNPOISON(block, block_bytes_);
      return block;
    }
  }
  try {
    return ::operator new(block_bytes_);
  } catch (...) {
    tbb::spin_mutex::scoped_lock lock(mu_);
    --taken_;
    throw;
  }
}

void JobPool::give_back(void* block) {
  AIW_POOL_POISON(block, block_bytes_);
  ThreadCache& cache = t_cache_;
  if (cache.pool != this) {
    cache.flush();
    cache.pool = this;
  }
  if (cache.count < ThreadCache::kBlocks && !closed_.load(std::memory_order_relaxed)) {
    cache.blocks[cache.count++] = block;  // stays counted in taken_
    return;
  }
  give_back_shared(block);
}

void JobPool::release_block(void* block) const {
  AIW_POOL_UNPOISON(block, block_bytes_);  // the allocator's own bookkeeping reads it
  ::operator delete(block);
}

void JobPool::give_back_shared(void* block) {
  bool delete_pool = false;
  {
    tbb::spin_mutex::scoped_lock lock(mu_);
    --taken_;
    if (!closed_ && idle_.size() < kMaxIdle) {
      idle_.push_back(block);
      return;
    }
    delete_pool = closed_ && taken_ == 0;
  }
  release_block(block);
  if (delete_pool) delete this;
}

void JobPool::close() {
  bool delete_pool;
  {
    tbb::spin_mutex::scoped_lock lock(mu_);
    closed_ = true;
    for (void* block : idle_) release_block(block);
    idle_.clear();
    delete_pool = taken_ == 0;
  }
  if (delete_pool) delete this;
}

}  // namespace aiw::engine
