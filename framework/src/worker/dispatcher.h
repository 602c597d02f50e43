// Dispatcher: the thread that claims jobs and starts them on the engines.
//
// It sleeps in poll() on its connection's socket (LISTEN aiw_jobs_pending / aiw_jobs_cancel)
// and an eventfd (capacity freed, stop), and also wakes every WORKER_POLL_INTERVAL_MS as a
// safety net (delayed retries, missed notifications). It claims in batches of up to
// min(free capacity, WORKER_CLAIM_BATCH) and keeps claiming while batches come back full.
#pragma once

#include <memory>
#include <thread>

#include "engine/job_result.h"
#include "worker/worker_state.h"

namespace aiw::worker {

class Dispatcher {
 public:
  explicit Dispatcher(WorkerState& state);
  ~Dispatcher();
  void start();
  void stop();  // stops claiming and ends the thread; running jobs are not touched

 private:
  struct Connection;
  void run();
  bool claim_and_start(Connection& c);
  void start_job(std::shared_ptr<RunningJob> job);
  void on_done(const std::shared_ptr<RunningJob>& job, engine::JobResult&& result);

  WorkerState& state_;
  std::thread thread_;
};

}  // namespace aiw::worker
