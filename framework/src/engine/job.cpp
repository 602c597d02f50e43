#include "engine/job.h"

#include "engine/call.h"
#include "engine/engine_core.h"
#include "obs/clock.h"

#include <algorithm>
#include <chrono>

namespace aiw::engine {

int64_t now_ns() { return obs::monotonic_ns(); }

namespace {
constexpr size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }
constexpr size_t kStagesOffset = align_up(sizeof(Job), alignof(StageState));
size_t outputs_offset(size_t n) {
  return align_up(kStagesOffset + n * sizeof(StageState), alignof(const JsonValue*));
}
}  // namespace

Job* Job::create(EngineCore* core, JobRequest request, size_t stage_count) {
  size_t bytes = outputs_offset(stage_count) + stage_count * sizeof(const JsonValue*);
  auto* raw = static_cast<unsigned char*>(::operator new(bytes));
  auto* stages = reinterpret_cast<StageState*>(raw + kStagesOffset);
  for (size_t i = 0; i < stage_count; ++i) new (stages + i) StageState();
  auto* outputs = reinterpret_cast<const JsonValue**>(raw + outputs_offset(stage_count));
  for (size_t i = 0; i < stage_count; ++i) outputs[i] = nullptr;
  return new (raw) Job(core, std::move(request), stage_count, stages, outputs);
}

Job::Job(EngineCore* core, JobRequest request, size_t stage_count, StageState* stages,
         const JsonValue** outputs)
    : core_(core),
      request_(std::move(request)),
      stage_count_(stage_count),
      stages_(stages),
      outputs_(outputs),
      start_ns_(now_ns()) {}

Job::~Job() {
  for (size_t i = 0; i < stage_count_; ++i) stages_[i].~StageState();
}

void Job::destroy() {
  this->~Job();
  ::operator delete(static_cast<void*>(this));
}

bool Job::add_call(aiw_call* call) {
  std::lock_guard lock(mu_);
  if (ended_early_.load(std::memory_order_relaxed)) return false;
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
    if (finished_ || ended_early_.load(std::memory_order_relaxed)) return;
    final_status_ = status;
    error_kind_ = kind;
    error_ = std::move(error);
    failed_stage_ = std::move(stage_id);
    retry_after_ms_ = retry_after_ms;
    ended_early_.store(true, std::memory_order_release);
    calls = calls_;
    for (aiw_call* c : calls) c->retain();
  }
  core_->wake_retries(this);
  CallOutcome aborted;
  aborted.kind = CallOutcome::Kind::kAborted;
  aborted.message = status == JobResult::Status::kCancelled ? "aborted: the job was cancelled"
                                                              : "aborted: the job had already failed";
  for (aiw_call* c : calls) {
    end_call(c, aborted);
    c->release();
  }
}

Job::Ending Job::finish() {
  std::lock_guard lock(mu_);
  finished_ = true;
  Ending e;
  e.ended_early = ended_early_.load(std::memory_order_relaxed);
  e.status = final_status_;
  e.kind = error_kind_;
  e.error = error_;
  e.failed_stage = failed_stage_;
  e.retry_after_ms = retry_after_ms_;
  return e;
}

}  // namespace aiw::engine
