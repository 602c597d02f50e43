#include "engine/engine_core.h"

#include "engine/job.h"
#include "engine/job_pool.h"
#include "engine/stage_node.h"
#include "net/io_loop.h"
#include "obs/log.h"

namespace aiw::engine {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone: return "none";
    case ErrorKind::kRetryable: return "retryable";
    case ErrorKind::kPermanent: return "permanent";
    case ErrorKind::kCancelled: return "cancelled";
  }
  return "none";
}

const char* to_string(JobResult::Status status) {
  switch (status) {
    case JobResult::Status::kCompleted: return "completed";
    case JobResult::Status::kFailed: return "failed";
    case JobResult::Status::kCancelled: return "cancelled";
  }
  return "failed";
}

namespace {

const char* to_string(StageStatus status) {
  switch (status) {
    case StageStatus::kPending: return "pending";
    case StageStatus::kOk: return "ok";
    case StageStatus::kFailed: return "failed";
    case StageStatus::kSkipped: return "skipped";
    case StageStatus::kAborted: return "aborted";
  }
  return "pending";
}

}  // namespace

EngineCore::EngineCore(pipeline::PipelineSpec spec_in, net::IoLoop* loop_in)
    : spec(std::move(spec_in)),
      loop(loop_in),
      job_pool(new JobPool(Job::block_bytes(spec.stages.size()))) {}

EngineCore::~EngineCore() {
  graph.wait_for_all();
  job_pool->close();
}

void EngineCore::arm_deadline(Job* job) {
  int64_t deadline_ms = job->request().deadline.count() > 0 ? job->request().deadline.count()
                                                             : spec.deadline_ms;
  if (deadline_ms <= 0) return;
  job->set_deadline_ns(job->start_ns() + deadline_ms * 1000000);
  job->retain();          // the timer's reference
  graph.reserve_wait();   // the timer reaches this engine: keep it alive until it ran or is gone
  job->deadline_timer = loop->add_timer(std::chrono::milliseconds(deadline_ms), [this, job, deadline_ms] {
    job->fail(JobResult::Status::kFailed, ErrorKind::kRetryable,
              "the job did not finish within its deadline of " + std::to_string(deadline_ms) +
                  " ms",
              "", -1);
    job->release();
    graph.release_wait();
  });
}

void EngineCore::wake_retries(Job* job) {
  for (auto& node : nodes) {
    net::IoLoop::TimerId id = job->stage(node->index()).retry_timer.exchange(0);
    if (id != 0 && loop->cancel_timer(id)) node->retry_now(job);
  }
}

void EngineCore::stage_finished(Job* job, size_t stage_index) {
  const auto& on_progress = job->request().on_progress;
  if (!on_progress) return;  // the count only feeds progress reports: no atomic add without
  int done = job->stages_done.fetch_add(1, std::memory_order_acq_rel) + 1;
  on_progress(spec.stages[stage_index].id, done, static_cast<int>(nodes.size()));
}

void EngineCore::terminal_passed(Job* job, int64_t now) {
  // With one terminal stage (a chain, the common shape) its passing is the last: no count.
  if (terminal_count == 1 || job->terminals_left.fetch_sub(1, std::memory_order_acq_rel) == 1)
    finalize(job, now);
}

void EngineCore::finalize(Job* job, int64_t now) {
  if (job->deadline_timer != 0 && loop->cancel_timer(job->deadline_timer)) {
    job->release();
    graph.release_wait();
  }
  JobResult result;
  const bool ran_to_end = job->finish(result);
  result.duration_ns = (now != 0 ? now : now_ns()) - job->start_ns();
  if (job->request().stage_timings) {
    result.stages.reserve(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      StageState& st = job->stage(i);
      bool ran = st.attempts > 0;
      // Built in place member by member: emplace_back() with no arguments value-initializes,
      // which zeroes the whole timing first (a rep stos, ~5 % of a no-op job's time here).
      result.stages.emplace_back(
          std::string_view(spec.stages[i].id), std::string_view(to_string(st.status)),
          ran ? st.start_ns - job->start_ns() : 0,
          ran && st.end_ns > st.start_ns ? st.end_ns - st.start_ns : 0, st.attempts,
          std::move(st.error));  // the job is released below: nothing reads it again
    }
  }
  if (!ran_to_end) {
    // finish() wrote how it ended; there is no output.
  } else if (whole_output_stage) {
    std::string& text = job->stage(*whole_output_stage).output_text;
    result.result_json = text.empty() ? std::string("null") : std::move(text);
  } else {
    pipeline::TemplateContext ctx;
    ctx.input = job->input();
    ctx.stage_outputs = job->outputs();
    ctx.job_id = job->request().id;
    ctx.job_type = spec.name;
    ctx.attempt = job->request().attempt;
    ctx.user_id = job->request().user_id;
    std::string error;
    if (!spec.output.render(ctx, result.result_json, error)) {
      result.status = JobResult::Status::kFailed;
      result.error_kind = ErrorKind::kPermanent;
      result.error = "cannot build the job's output: " + error;
    }
  }
  auto on_done = std::move(job->mutable_request().on_done);
  // Moved when nothing else can read the job's id any more (late callbacks log it), else copied.
  if (job->sole_reference()) result.id = std::move(job->mutable_request().id);
  else result.id = job->request().id;
  job->release();  // the graph's reference
  if (on_done) {
    try {
      on_done(std::move(result));
    } catch (const std::exception& e) {
      obs::log(obs::LogLevel::kError, std::string("a job's completion handler threw: ") + e.what());
    }
  }
}

}  // namespace aiw::engine

namespace aiw::engine {

Status EngineCore::compile_input_schema() {
  if (spec.input_schema_json.empty()) return Status();
  auto compiled = json::Schema::compile_text(spec.input_schema_json);
  if (!compiled.ok())
    return Status::error("the pipeline's input schema is not usable: " + compiled.error());
  input_schema = std::move(*compiled);
  return Status();
}

Status EngineCore::validate_input(const JsonValue& input) const {
  if (!input_schema) return Status();
  std::vector<json::SchemaError> errors;
  input_schema->validate(input, errors);
  if (errors.empty()) return Status();
  std::string message = "the job's input does not match the pipeline's input schema: ";
  for (size_t i = 0; i < errors.size() && i < 5; ++i)
    message += (i ? "; " : "") + errors[i].to_string();
  if (errors.size() > 5) message += "; and " + std::to_string(errors.size() - 5) + " more";
  return Status::error(message);
}

}  // namespace aiw::engine
