// Maintenance: the worker's background duties on a thread and connection of their own.
// Every WORKER_HEARTBEAT_INTERVAL_MS: beat the worker row and all held jobs in one statement
// (jobs the database no longer gives this worker are aborted), run the reaper. Every minute:
// prune finished jobs older than the retention and expired cache rows, in small batches.
// When no beat has succeeded for half the lease, the worker gives its running jobs back rather
// than risk running them while the reaper hands them to another worker.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "worker/worker_state.h"

namespace aiw::worker {

class Maintenance {
 public:
  explicit Maintenance(WorkerState& state);
  ~Maintenance();
  void start();
  // Ends the thread after a last beat that marks the worker stopped (when the database answers).
  void stop();
  // Beats now (e.g. to announce draining) instead of at the next interval.
  void beat_soon();

 private:
  void run();
  bool beat(queue::Session& session, const char* status);
  void reap(queue::Session& session);
  void prune(queue::Session& session);
  void check_lease();

  WorkerState& state_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool beat_now_ = false;
  std::thread thread_;
};

}  // namespace aiw::worker
