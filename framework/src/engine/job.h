// Job: one job's state while it crosses the graph. Internal to the engine.
//
// The graph carries Job* messages; the job is reference-counted because late callbacks (an
// HTTP answer arriving after a timeout) may still point at it through their call.
#pragma once

#include "engine/call.h"
#include "engine/job_result.h"
#include "net/io_loop.h"
#include "obs/clock.h"

#include <aiw/json.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct aiw_call;

namespace aiw::engine {

struct EngineCore;

// kAborted: it was running when the job failed elsewhere or was cancelled.
enum class StageStatus : uint8_t { kPending, kOk, kFailed, kSkipped, kAborted };

struct StageState {
  std::atomic<int> pending_needs{0};  // upstreams still running (fan-in stages only)
  StageStatus status = StageStatus::kPending;
  int attempts = 0;
  int64_t start_ns = 0;  // first invocation, steady clock
  int64_t end_ns = 0;
  std::string error;
  // Parsed only when some template reads it (see StageNode::output_needed_); allocated then
  // too, since a RapidJSON document allocates its allocator when constructed.
  std::unique_ptr<Json> output;
  // The output as the plugin wrote it, kept only for the stage whose whole output is the job's
  // result (the common default), which is then passed through without parsing or rendering.
  std::string output_text;
  std::atomic<net::IoLoop::TimerId> retry_timer{0};  // set while waiting to retry
  // Room for the stage's first call, so the common case allocates nothing per stage; retries
  // (whose predecessor may still be referenced by late callbacks) take the heap.
  alignas(aiw_call) unsigned char call_storage[sizeof(aiw_call)];
};

// Monotonic nanoseconds.
inline int64_t now_ns() { return obs::monotonic_ns(); }

class JobPool;

class Job {
 public:
  // One block holds the job, its stage states and its output pointers; it comes from the
  // engine's pool (sized with block_bytes) and goes back there.
  static size_t block_bytes(size_t stage_count);
  static Job* create(EngineCore* core, JobRequest&& request, size_t stage_count);

  void retain() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

  EngineCore* core() const { return core_; }
  const JobRequest& request() const { return request_; }
  // The input as a document, built only when a template or the input schema reads it
  // (EngineCore::input_document_needed): null otherwise, which templates read as absent.
  const Json* input() const { return input_ ? &input_->document : nullptr; }
  // Builds the (empty) input document for Engine::submit to parse the input into.
  Json& build_input() { return input_.emplace().document; }
  StageState& stage(size_t i) { return stages_[i]; }
  const JsonValue* const* outputs() const { return outputs_; }
  void set_output(size_t i, const JsonValue* v) { outputs_[i] = v; }
  int64_t start_ns() const { return start_ns_; }
  // Absolute steady-clock deadline, 0 when none.
  int64_t deadline_ns() const { return deadline_ns_; }
  void set_deadline_ns(int64_t ns) { deadline_ns_ = ns; }

  // True once the job failed or was cancelled: remaining stages are skipped.
  bool ended_early() const { return end_.load(std::memory_order_acquire) == kEndedEarly; }
  // Records the first failure (later ones are ignored) and aborts every in-flight call.
  // No-op once the job finished.
  void fail(JobResult::Status status, ErrorKind kind, std::string error, std::string stage_id,
            int64_t retry_after_ms);

  // Registers a call so that fail() can abort it; false when the job already ended early.
  bool add_call(aiw_call* call);
  void remove_call(aiw_call* call);

  // How the job ended, taken once when it finishes; later fail() calls change nothing.
  // Lock-free when the job did not end early.
  // Marks the job finished. Returns true when it ran to its end; when it had ended early
  // (failed or cancelled), writes how into result's status, error_kind, error, failed_stage
  // and retry_after_ms and returns false.
  bool finish(JobResult& result);
  JobRequest& mutable_request() { return request_; }
  // True when the caller's reference is the only one left: no late callback (an HTTP answer
  // after a timeout, a log line about it) can read the job any more.
  bool sole_reference() const { return refs_.load(std::memory_order_acquire) == 1; }

  std::atomic<int> terminals_left{0};
  std::atomic<int> stages_done{0};
  net::IoLoop::TimerId deadline_timer = 0;

 private:
  Job(EngineCore* core, JobPool* pool, JobRequest&& request, size_t stage_count,
      StageState* stages, const JsonValue** outputs);
  ~Job();
  void destroy();
  std::atomic<int> refs_{1};
  EngineCore* core_;
  JobPool* pool_;  // where the block goes back; outlives the engine while this job lives
  JobRequest request_;
  // The input document allocates from a buffer inside the job first: small inputs cost no
  // allocation of their own. Not constructed at all for the jobs that need no document
  // (~80 instructions of a no-op job, and a cache line of the buffer touched for nothing).
  struct InputDocument {
    InputDocument() = default;
    InputDocument(const InputDocument&) = delete;
    InputDocument& operator=(const InputDocument&) = delete;
    alignas(8) unsigned char buffer[512];
    rapidjson::MemoryPoolAllocator<> allocator{buffer, sizeof buffer};
    Json document{&allocator};
  };
  std::optional<InputDocument> input_;
  size_t stage_count_;
  StageState* stages_;             // in the same allocation, after the Job
  const JsonValue** outputs_;      // likewise
  int64_t start_ns_;
  int64_t deadline_ns_ = 0;
  // kRunning -> kEndedEarly (fail) or kFinished (finish, when nothing failed): whichever
  // comes first wins, so a job that completes takes no lock to finish.
  enum EndState { kRunning, kEndedEarly, kFinished };
  std::atomic<int> end_{kRunning};
  std::mutex mu_;  // guards everything below
  std::vector<aiw_call*> calls_;
  JobResult::Status final_status_ = JobResult::Status::kCompleted;
  ErrorKind error_kind_ = ErrorKind::kNone;
  std::string error_;
  std::string failed_stage_;
  int64_t retry_after_ms_ = -1;
};

}  // namespace aiw::engine
