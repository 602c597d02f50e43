#include "engine/job_pool.h"

#include <new>

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
  for (void* block : idle_) ::operator delete(block);
}

void* JobPool::take() {
  ThreadCache& cache = t_cache_;
  if (cache.pool == this && cache.count > 0) return cache.blocks[--cache.count];  // still counted
  {
    tbb::spin_mutex::scoped_lock lock(mu_);
    ++taken_;
    if (!idle_.empty()) {
      void* block = idle_.back();
      idle_.pop_back();
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
  ::operator delete(block);
  if (delete_pool) delete this;
}

void JobPool::close() {
  bool delete_pool;
  {
    tbb::spin_mutex::scoped_lock lock(mu_);
    closed_ = true;
    for (void* block : idle_) ::operator delete(block);
    idle_.clear();
    delete_pool = taken_ == 0;
  }
  if (delete_pool) delete this;
}

}  // namespace aiw::engine
