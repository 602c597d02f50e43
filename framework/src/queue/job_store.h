// JobStore: every statement the queue runs against analysis_jobs, analysis_cache and aiw_workers.
//
// One JobStore owns one connection and is used from one thread. Each method is one round trip
// (one statement, or one transaction) whatever the number of jobs: claims and outcome writes are
// batched, which is what lets the queue run tens of thousands of jobs a second.
//
// Fencing (DESIGN.md "Queue"): every write about a job's outcome is conditional on
// (status = 'processing', worker_id = this worker, attempts = the attempt being reported), so a
// late worker never overwrites a job that was reaped, cancelled or claimed again. Methods that
// write outcomes return the ids whose write landed.
//
// Throws pqxx exceptions; queue/db.h tells a lost connection from a statement error.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;  // pqxx::connection is a typedef of a class derived from it
}

namespace aiw::queue {

struct NewJob {
  std::string user_id;
  std::string type;
  std::string input_json = "{}";
  int priority = 5;
  int max_attempts = 3;
  int64_t run_after_ms = 0;  // delay before the job may be claimed
  std::string run_by = "worker";
};

struct ClaimedJob {
  std::string id;
  std::string type;
  std::string input_json;
  std::string user_id;
  int attempt = 0;        // this claim's attempt number (1 on the first run)
  int max_attempts = 0;
  int priority = 0;
  double queue_wait_ms = 0;  // from when it became claimable to this claim
};

// What a worker reports about one job it claimed.
struct JobOutcome {
  enum class Kind { kCompleted, kRetry, kFailed, kGiveBack };
  Kind kind = Kind::kCompleted;
  std::string id;
  int attempt = 0;
  std::string result_json;      // kCompleted
  std::string error;            // kRetry, kFailed: the sentence
  int64_t processing_ms = 0;
  int64_t retry_delay_ms = 0;   // kRetry
  std::string timings_json;     // per-stage timings, "" for none
  bool cache_hit = false;       // kCompleted from the cache
  std::string cache_key;        // kCompleted: store the result under this key ("" = do not)
  int64_t cache_ttl_seconds = 0;
};

struct Progress {
  std::string id;
  int attempt = 0;
  std::string stage;
  int percent = 0;
};

struct WorkerBeat {
  std::string worker_id;
  std::string host;
  int pid = 0;
  std::vector<std::string> types;
  int concurrency = 0;
  int in_flight = 0;
  std::string status = "running";  // running, draining, stopped
  int64_t lease_ms = 0;
  std::string version;
};

struct ReapedJob {
  std::string id;
  std::string type;
  std::string status;  // "pending" (given back) or "failed" (attempts spent)
};

struct CachedResult {
  std::string cache_key;
  std::string response_json;
};

class JobStore {
 public:
  JobStore(std::shared_ptr<pqxx::connection_base> connection, std::string worker_id);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  const std::string& worker_id() const { return worker_id_; }
  pqxx::connection_base& connection() { return *connection_; }

  // Inserts jobs in one statement, then one NOTIFY (unless notify is false: the caller then
  // calls notify_jobs_pending itself); returns their ids in order. A user over the active-job
  // limit fails the whole statement with SQLSTATE AIW01 and a sentence.
  std::vector<std::string> enqueue(std::span<const NewJob> jobs, bool notify = true);

  // Claims up to limit claimable jobs of these types: priority, then age (created_at). The
  // caller announces them with notify_job_events once it has started them (the notification's
  // round trip does not delay the start).
  std::vector<ClaimedJob> claim(std::span<const std::string> types, int limit);

  // Writes outcomes (and cache entries of completed jobs) in one statement; returns the ids
  // whose write landed. Given-back jobs are announced with one NOTIFY after the write.
  std::vector<std::string> write_outcomes(std::span<const JobOutcome> outcomes);

  // Progress of running jobs, fenced like outcomes.
  void write_progress(std::span<const Progress> progress);

  // Beats this worker's row and the heartbeat of its in-flight jobs in one statement; returns
  // the ids among in_flight that are no longer this worker's (cancelled or reaped): abort them.
  std::vector<std::string> heartbeat(const WorkerBeat& beat, std::span<const std::string> in_flight);

  // Reaper: gives back (or fails, when attempts are spent) processing jobs whose worker stopped
  // beating, and fails or retries jobs past stuck_timeout_ms. Runs only in the one worker that
  // gets the advisory lock; returns what it changed (empty when another worker holds it).
  std::vector<ReapedJob> reap(int64_t stuck_timeout_ms);

  // Cancels a job: pending -> cancelled at once; processing -> cancelled and its worker told
  // (NOTIFY aiw_jobs_cancel). Returns false when the job is already final or does not exist.
  bool cancel(const std::string& job_id);

  // Cached results for these keys that have not expired; bumps their hit_count/last_hit_at.
  std::vector<CachedResult> cache_lookup(std::span<const std::string> keys);

  // Deletes up to batch finished jobs older than max_age_ms / expired cache rows; returns how many.
  int prune_finished_jobs(int64_t max_age_ms, int batch);
  int prune_expired_cache(int batch);

  // NOTIFYs for writes that have committed, each in a transaction of its own (migration
  // 0008_notify_after_commit says why): idle workers serving these job types, and the gateway's
  // event streams following these job ids (one NOTIFY per 200 ids). The methods above call them
  // after their own writes; the gateway's enqueuer after its batches. A notification that cannot
  // be sent is dropped: workers poll and event streams re-read their jobs, so it only delays.
  void notify_jobs_pending(std::span<const std::string> types);
  void notify_job_events(std::span<const std::string> ids);

 private:
  void prepare();
  void notify(const char* channel, const std::vector<std::string>& payloads);

  std::shared_ptr<pqxx::connection_base> connection_;
  std::string worker_id_;
};

// The channels the queue uses.
inline constexpr const char* kPendingChannel = "aiw_jobs_pending";  // payload: job types
inline constexpr const char* kCancelChannel = "aiw_jobs_cancel";    // payload: job id
inline constexpr const char* kJobEventsChannel = "aiw_job_events";  // payload: job ids, comma-separated

}  // namespace aiw::queue
