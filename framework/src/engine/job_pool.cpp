#include "engine/job_pool.h"

#include <new>

namespace aiw::engine {

JobPool::~JobPool() {
  for (void* block : idle_) ::operator delete(block);
}

void* JobPool::take() {
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
