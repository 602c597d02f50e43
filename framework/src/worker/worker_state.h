// WorkerState: what the worker's threads share (dispatcher, outcome writer, maintenance). Each
// thread owns its own database connection; they meet only here.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "worker/config.h"
#include "worker/metrics.h"
#include "worker/outcome.h"
#include "worker/outcome_writer.h"
#include "worker/pipeline_set.h"
#include "worker/running_jobs.h"

namespace aiw::worker {

// An eventfd the dispatcher polls next to its database socket: capacity freed, stop requested.
class WakeFd {
 public:
  WakeFd() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~WakeFd() { close(fd_); }
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;
  void signal() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
  }
  void drain() {
    uint64_t value;
    [[maybe_unused]] ssize_t n = read(fd_, &value, sizeof value);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

struct WorkerState {
  WorkerState(WorkerConfig config_in, PipelineSet pipelines_in, std::string worker_id_in);

  const WorkerConfig config;
  const PipelineSet pipelines;
  const std::string worker_id;            // WORKER_ID/instance: unique per process
  const std::vector<std::string> types;   // the job types served
  const RetrySettings retry;
  WorkerMetrics metrics;
  RunningJobs running;
  std::unique_ptr<OutcomeWriter> writer;
  WakeFd wake;
  std::atomic<bool> draining{false};
  // Held by the dispatcher from its check of `draining` until the jobs of that claim are in
  // `running`, and by the drain while it sets `draining`: once the drain has set it, no claim is
  // half done, so every job this worker holds in the database is in `running`, to finish or be
  // given back. (Without it, a claim committed just before the drain started its jobs after
  // the drain had found nothing running.)
  std::mutex claim_mu;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> last_beat_ok_ns{0};
  // The earliest moment (monotonic ns) a retry this worker scheduled becomes claimable; 0: none.
  std::atomic<int64_t> next_wake_ns{0};

  // Asks the dispatcher to claim again at `due` (keeps the earliest request).
  void wake_at(int64_t due) {
    int64_t current = next_wake_ns.load();
    while ((current == 0 || due < current) && !next_wake_ns.compare_exchange_weak(current, due)) {
    }
    wake.signal();
  }
};

// WORKER_ID plus a random instance suffix: a restarted worker never mistakes the jobs of its
// previous (killed) life for its own, and two processes given the same WORKER_ID never fence
// each other off.
std::string make_worker_id(const std::string& configured);

}  // namespace aiw::worker
