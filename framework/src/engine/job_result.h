// What goes into the engine (JobRequest) and what comes out (JobResult).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace aiw::engine {

// How a failure should be treated by whoever runs the job (the queue retries kRetryable).
enum class ErrorKind { kNone, kRetryable, kPermanent, kCancelled };

const char* to_string(ErrorKind kind);

struct StageTiming {
  std::string_view id;      // points into the engine's pipeline spec: valid while it lives
  std::string_view status;  // "ok", "failed", "skipped", "aborted"
  int64_t start_ns = 0;   // since the job started
  int64_t duration_ns = 0;
  int attempts = 0;       // invocations (more than one when the stage's own retry kicked in)
  std::string error;      // the sentence, when failed
};

struct JobResult {
  enum class Status { kCompleted, kFailed, kCancelled };
  Status status = Status::kCompleted;
  // The request's id, handed back: a caller that submits jobs in a loop can reuse its buffer
  // for the next id instead of allocating one per job (`aiw bench`).
  std::string id;
  std::string result_json;          // when completed
  ErrorKind error_kind = ErrorKind::kNone;
  std::string error;                // "stage 'detect' (yolo.detect): ..." when failed or cancelled
  std::string failed_stage;         // the stage id, when a stage failed
  int64_t retry_after_ms = -1;      // a stage's Retry-After, when it gave one
  int64_t duration_ns = 0;
  std::vector<StageTiming> stages;  // in pipeline order
};

const char* to_string(JobResult::Status status);

struct JobRequest {
  std::string id;
  std::string input_json = "{}";
  int attempt = 1;
  // The job's owner (analysis_jobs.user_id, the token's user at the gateway), read by
  // ${job.user_id}; empty when there is none (`aiw run` without --user), which renders as null.
  std::string user_id;
  // Overrides the pipeline's deadline when non-zero.
  std::chrono::milliseconds deadline{0};
  // Runs exactly once when every stage has finished or been skipped, on an engine thread.
  // Keep it short: hand slow work (database writes) to another thread.
  std::function<void(JobResult&&)> on_done;
  // Fill JobResult::stages. Off when nothing reads the per-job timings (`aiw bench` reads the
  // stages' metrics): building them is a malloc and five strings, most of what finishing a
  // no-op job costs.
  bool stage_timings = true;
  // Optional: a stage finished (done of total); runs on an engine or I/O thread.
  std::function<void(const std::string& stage_id, int done, int total)> on_progress;
};

}  // namespace aiw::engine
