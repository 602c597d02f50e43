// RunningJobs: the jobs this worker holds, from claim until their outcome is written. Their
// count is what WORKER_CONCURRENCY bounds, and their ids are what the heartbeat keeps alive.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"
#include "queue/job_store.h"

namespace aiw::worker {

struct Pipeline;

// Why the worker ended a job before its pipeline did; decides what (if anything) is written.
enum class StopReason : int {
  kNone = 0,
  kCancelled = 1,  // a user cancelled it (the row already says so): write nothing
  kGiveBack = 2,   // drain or lost lease: return it to pending without spending the attempt
};

struct RunningJob {
  queue::ClaimedJob claim;
  const Pipeline* pipeline = nullptr;
  int64_t claimed_ns = 0;
  std::string cache_key;  // "" when the pipeline is not cached
  std::atomic<StopReason> stop_reason{StopReason::kNone};

  // Records why and aborts the engine job (in-flight HTTP included). First reason wins.
  void stop(StopReason reason, const std::string& sentence);
  void set_handle(engine::JobHandle handle);

 private:
  std::mutex mu_;
  engine::JobHandle handle_;
  bool stop_requested_ = false;
  std::string stop_sentence_;
};

class RunningJobs {
 public:
  void add(std::shared_ptr<RunningJob> job);
  void remove(const std::string& id);
  std::shared_ptr<RunningJob> find(const std::string& id) const;
  std::vector<std::string> ids() const;
  std::vector<std::shared_ptr<RunningJob>> all() const;
  size_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<RunningJob>> jobs_;
  std::atomic<size_t> size_{0};
};

}  // namespace aiw::worker
