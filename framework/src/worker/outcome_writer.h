// OutcomeWriter: one thread and one connection that write job outcomes and progress in batches,
// one statement for everything that piled up since the last write (group commit). Engine
// threads never touch the database: they push() and go on.
//
// While PostgreSQL is away the outcomes wait here (nothing is lost while the process lives) and
// the thread reconnects with backoff. A job leaves RunningJobs only once its outcome is written
// (or fenced off), so WORKER_CONCURRENCY bounds memory too.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "queue/job_store.h"
#include "worker/metrics.h"
#include "worker/running_jobs.h"

namespace aiw::queue {
class Session;
}

namespace aiw::worker {

class OutcomeWriter {
 public:
  OutcomeWriter(std::string database_url, std::string worker_id, RunningJobs& running,
                WorkerMetrics& metrics, std::function<void()> on_written);
  ~OutcomeWriter();  // stop(0)

  void start();
  // Writes what is queued, giving up on the database after timeout; then the thread ends.
  void stop(std::chrono::milliseconds timeout);

  void push(queue::JobOutcome outcome, std::string type, int64_t processing_ns);
  void push_progress(queue::Progress progress);

 private:
  struct Item {
    queue::JobOutcome outcome;
    std::string type;
    int64_t processing_ns = 0;
  };
  struct PendingProgress {
    queue::Progress progress;
    std::chrono::steady_clock::time_point since;
  };

  void run();
  std::vector<queue::Progress> take_due_progress(std::chrono::steady_clock::time_point now);
  // True when written (or given up on as unwritable); false when the connection was lost.
  bool write(queue::Session& session, std::vector<Item>& batch,
             std::vector<queue::Progress>& progress);
  bool write_one_by_one(queue::Session& session, std::vector<Item>& batch);
  void finish(const Item& item, bool landed);

  std::string database_url_;
  std::string worker_id_;
  RunningJobs& running_;
  WorkerMetrics& metrics_;
  std::function<void()> on_written_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> items_;
  std::unordered_map<std::string, PendingProgress> progress_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::thread thread_;
};

}  // namespace aiw::worker
