#include "engine/job.h"

#include "engine/call.h"
#include "engine/engine_core.h"
#include "engine/job_pool.h"
#include "obs/clock.h"

#include <algorithm>
#include <chrono>

namespace aiw::engine {

namespace {
constexpr size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }
constexpr size_t kStagesOffset = align_up(sizeof(Job), alignof(StageState));
size_t outputs_offset(size_t n) {
  return align_up(kStagesOffset + n * sizeof(StageState), alignof(const JsonValue*));
}
}  // namespace

size_t Job::block_bytes(size_t stage_count) {
  return outputs_offset(stage_count) + stage_count * sizeof(const JsonValue*);
}

Job* Job::create(EngineCore* core, JobRequest&& request, size_t stage_count) {
  JobPool* pool = core->job_pool;
  auto* raw = static_cast<unsigned char*>(pool->take());
  auto* stages = reinterpret_cast<StageState*>(raw + kStagesOffset);
  // Default-initialized, not value-initialized (`StageState()`): that would zero the whole
  // state first, call_storage included (~250 instructions a job for nothing).
  for (size_t i = 0; i < stage_count; ++i) new (stages + i) StageState;
  auto* outputs = reinterpret_cast<const JsonValue**>(raw + outputs_offset(stage_count));
  for (size_t i = 0; i < stage_count; ++i) outputs[i] = nullptr;
  return new (raw) Job(core, pool, std::move(request), stage_count, stages, outputs);
}

Job::Job(EngineCore* core, JobPool* pool, JobRequest&& request, size_t stage_count,
         StageState* stages, const JsonValue** outputs)
    : core_(core),
      pool_(pool),
      request_(std::move(request)),
      stage_count_(stage_count),
      stages_(stages),
      outputs_(outputs),
      start_ns_(now_ns()) {}

Job::~Job() {
  for (size_t i = 0; i < stage_count_; ++i) stages_[i].~StageState();
}

void Job::destroy() {
  JobPool* pool = pool_;
  this->~Job();
  pool->give_back(this);
}

bool Job::add_call(aiw_call* call) {
  std::lock_guard lock(mu_);
  if (end_.load(std::memory_order_relaxed) == kEndedEarly) return false;
  // A call that already ended (its completion raced ahead) is not added: its remove_call may
  // have run already, and a stale entry would outlive the call.
  if (call->ended()) return true;
  calls_.push_back(call);
  return true;
}

void Job::remove_call(aiw_call* call) {
  std::lock_guard lock(mu_);
  auto it = std::find(calls_.begin(), calls_.end(), call);
  if (it != calls_.end()) {
    *it = calls_.back();
    calls_.pop_back();
  }
}

void Job::fail(JobResult::Status status, ErrorKind kind, std::string error, std::string stage_id,
               int64_t retry_after_ms) {
  std::vector<aiw_call*> calls;
  {
    std::lock_guard lock(mu_);
    if (end_.load(std::memory_order_relaxed) != kRunning) return;
    final_status_ = status;
    error_kind_ = kind;
    error_ = std::move(error);
    failed_stage_ = std::move(stage_id);
    retry_after_ms_ = retry_after_ms;
    // Published after the details, which finish() reads under this lock once it sees it.
    int running = kRunning;
    if (!end_.compare_exchange_strong(running, kEndedEarly, std::memory_order_acq_rel)) return;
    calls = calls_;
    for (aiw_call* c : calls) c->retain();
  }
  core_->wake_retries(this);
  CallOutcome aborted;
  aborted.kind = CallOutcome::Kind::kAborted;
  aborted.message = status == JobResult::Status::kCancelled ? "aborted: the job was cancelled"
                                                              : "aborted: the job had already failed";
  for (aiw_call* c : calls) {
    CallOutcome outcome = aborted;  // each end consumes its own
    end_call(c, std::move(outcome));
    c->release();
  }
}

bool Job::finish(JobResult& result) {
  int running = kRunning;
  if (end_.compare_exchange_strong(running, kFinished, std::memory_order_acq_rel)) return true;
  std::lock_guard lock(mu_);
  result.status = final_status_;
  result.error_kind = error_kind_;
  // Moved: finish() runs once, and fail() changes nothing once the job ended early.
  result.error = std::move(error_);
  result.failed_stage = std::move(failed_stage_);
  result.retry_after_ms = retry_after_ms_;
  return false;
}

}  // namespace aiw::engine
