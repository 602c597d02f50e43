// JobPool: recycles the memory blocks of one engine's finished jobs (all the same size), so a
// job costs no malloc and free of its block: a block holds the job and every stage's state
// (~2 KB for five stages), too big for glibc's per-thread cache, and allocating and freeing it
// was ~500 instructions of a no-op job's ~10,000 (callgrind).
//
// A JobHandle may outlive its engine, and the job with it: the engine closes the pool instead
// of deleting it, and the last block given back after that deletes the pool.
//
// Each thread keeps its last few given-back blocks of one pool and takes them again without the
// lock: a job finishes and the next is submitted on the same TBB thread, so its block stays in
// that core's cache instead of crossing to the other core through the shared list (perf showed
// taking, giving back and first touching blocks at ~30 % of a no-op job's time). Blocks in a
// thread's cache still count as taken, so their pool lives (closed or not) until they go back.
#pragma once

#include <oneapi/tbb/spin_mutex.h>

#include <atomic>
#include <cstddef>
#include <vector>

namespace aiw::engine {

class JobPool {
 public:
  explicit JobPool(size_t block_bytes) : block_bytes_(block_bytes) { idle_.reserve(kMaxIdle); }
  JobPool(const JobPool&) = delete;
  JobPool& operator=(const JobPool&) = delete;

  size_t block_bytes() const { return block_bytes_; }
  // A block of block_bytes(), aligned for any type.
  void* take();
  void give_back(void* block);
  // The engine is going: frees the idle blocks now, and the pool once every job gave its back.
  // The pool must have been allocated with new.
  void close();

 private:
  struct ThreadCache;
  static thread_local ThreadCache t_cache_;  // this thread's, for whichever pool it last served
  ~JobPool();
  void give_back_shared(void* block);  // to the shared list, under the lock
  void release_block(void* block) const;  // back to the heap

  // Beyond this many idle blocks, given-back blocks are freed: a burst of jobs in flight
  // (10,000 waiting on a timer) does not pin its peak memory for the engine's life.
  static constexpr size_t kMaxIdle = 1024;

  const size_t block_bytes_;
  // A spin lock: held for a push or a pop, where a std::mutex cost more than the pop itself.
  tbb::spin_mutex mu_;  // guards everything below
  std::vector<void*> idle_;
  size_t taken_ = 0;
  std::atomic<bool> closed_{false};  // read without the lock by give_back
};

}  // namespace aiw::engine
