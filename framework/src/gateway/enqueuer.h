// Enqueuer: group commit for POST /v1/jobs. Requests queue here; a writer thread takes all that
// waited (up to a batch) and inserts them with one statement (aiw_enqueue_jobs), so at thousands
// of requests a second each pays a fraction of one commit instead of a commit of its own.
// Two writers overlap one batch's commit with the next batch's collection.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace aiw::gateway {

struct EnqueueRequest {
  std::string user_id;
  std::string type;
  std::string input_json;
  int priority = 5;
  int max_attempts = 3;
  // "pending" for the queue; "processing" for a job the gateway runs itself (fallback).
  std::string status = "pending";
  std::string worker_id;
  std::string run_by = "worker";
  // The client's Idempotency-Key (empty: none): stored at most once per user and key.
  std::string idempotency_key;
};

struct EnqueueResult {
  enum class Kind {
    kAccepted,
    kOverLimit,
    kDuplicate,      // the user's job with this Idempotency-Key and the same job: id
    kKeyMismatch,    // the key belongs to the user's job id, which has another type, input or priority
    kKeyInProgress,  // an earlier request of the same batch carries the same key
    kUnavailable,
    kError
  };
  Kind kind = Kind::kError;
  std::string id;       // kAccepted, kDuplicate, kKeyMismatch
  int active = 0;       // kOverLimit: the user's active jobs
  std::string message;  // kUnavailable, kError
};

class Enqueuer {
 public:
  using Callback = std::function<void(EnqueueResult)>;
  Enqueuer(std::string database_url, int max_active_jobs_per_user, int writers = 2);
  ~Enqueuer();

  void submit(EnqueueRequest request, Callback done);

 private:
  struct Pending {
    EnqueueRequest request;
    Callback done;
  };
  void run();

  std::string url_;
  int max_active_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace aiw::gateway
