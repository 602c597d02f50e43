#include "engine/stage_node.h"

#include "engine/job.h"
#include "engine/json_syntax.h"
#include "net/io_loop.h"
#include "obs/clock.h"
#include "obs/log.h"

#include <algorithm>
#include <random>

namespace aiw::engine {
namespace {

pipeline::TemplateContext context_of(Job* job) {
  pipeline::TemplateContext ctx;
  ctx.input = job->input();
  ctx.stage_outputs = job->outputs();
  ctx.job_id = job->request().id;
  ctx.job_type = job->core()->spec.name;
  ctx.attempt = job->request().attempt;
  ctx.user_id = job->request().user_id;
  return ctx;
}

// How many stages deep the current body runs chained stages (see pass_on): bounded so that a
// long chain cannot grow the worker's stack without limit; past it, the next stage gets a task.
constexpr int kMaxChainDepth = 16;
thread_local int t_chain_depth = 0;

// The call whose plugin invoke() runs on this thread right now. A call that ends inside it
// hands off with a plain store: only invoke() itself, on this thread and after the plugin
// returned, reads or writes the hand-off state then.
thread_local const aiw_call* t_invoking = nullptr;

struct Invoking {
  explicit Invoking(const aiw_call* call) : outer(t_invoking) { t_invoking = call; }
  ~Invoking() { t_invoking = outer; }
  Invoking(const Invoking&) = delete;
  Invoking& operator=(const Invoking&) = delete;
  const aiw_call* outer;
};

struct ChainDepth {
  ChainDepth() { ++t_chain_depth; }
  ~ChainDepth() { --t_chain_depth; }
  ChainDepth(const ChainDepth&) = delete;
  ChainDepth& operator=(const ChainDepth&) = delete;
};

int64_t jittered(int64_t delay_ms) {
  // +-20 %: retries of many jobs that failed together do not come back together.
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  return static_cast<int64_t>(static_cast<double>(delay_ms) * factor(rng));
}

// A stage's end as a progress report, when the job asked for reports (most do not): the
// check inline, so that the others pay no call per stage.
inline void report_progress(EngineCore& core, Job* job, size_t stage_index) {
  if (job->request().on_progress) core.stage_finished(job, stage_index);
}

}  // namespace

StageNode::StageNode(EngineCore& core, size_t index, plugin::StageInstance instance)
    : core_(core),
      index_(index),
      spec_(core.spec.stages[index]),
      metrics_(*core.metrics[index]),
      instance_(std::move(instance)) {
  using namespace tbb::flow;
  exec_ = std::make_unique<ExecNode>(core.graph, unlimited,
                                     [this](Job* job, Ports& ports) { run(job, ports); });
  const pipeline::StageSpec& s = spec();
  if (s.with.is_constant()) {
    // When the resolved text is the text create() got (no ${env...} was filled in), pass that
    // very string: the plugin then knows it by its address (ABI 1.2's promise), and the spec
    // keeps it alive and unchanged for as long as the instance lives.
    const std::string& resolved = s.with.constant_json();
    constant_params_ = resolved == s.with_json ? &s.with_json : &resolved;
  }
  if (s.concurrency > 0) {
    queue_ = std::make_unique<queue_node<Job*>>(core.graph);
    limiter_ = std::make_unique<limiter_node<Job*>>(core.graph, s.concurrency);
    make_edge(*queue_, *limiter_);
    make_edge(*limiter_, *exec_);
  }
  if (s.needs.size() > 1) {
    gate_ = std::make_unique<GateNode>(
        core.graph, unlimited, [this](Job* job, GateNode::output_ports_type& ports) {
          // Fan-in: the last upstream to finish lets the job through.
          if (job->stage(index_).pending_needs.fetch_sub(1, std::memory_order_acq_rel) == 1)
            std::get<0>(ports).try_put(job);
        });
    if (queue_) make_edge(output_port<0>(*gate_), *queue_);
    else make_edge(output_port<0>(*gate_), *exec_);
  }
}

StageNode::~StageNode() = default;

tbb::flow::receiver<Job*>& StageNode::entry() {
  if (gate_) return *gate_;
  if (queue_) return *queue_;
  return *exec_;
}

std::string StageNode::describe() const {
  return "stage '" + spec().id + "' (" + spec().uses + ")";
}

void StageNode::run(Job* job, Ports& ports, int64_t now) {
  StageState& st = job->stage(index_);
  if (job->ended_early()) {
    st.status = StageStatus::kSkipped;
    metrics().skipped.add();
    report_progress(core_, job, index_);
    pass_on(job, &ports);
    return;
  }
  if (constant_params_) {
    invoke(job, *constant_params_, ports, now);
    return;
  }
  std::string params, error;
  if (!spec().with.render(context_of(job), params, error)) {
    CallOutcome bad;
    bad.kind = CallOutcome::Kind::kError;
    bad.error_kind = ErrorKind::kPermanent;
    bad.message = "cannot resolve its parameters: " + error;
    record_failure(job, bad);
    report_progress(core_, job, index_);
    pass_on(job, &ports);
    return;
  }
  invoke(job, params, ports, now);
}

void StageNode::invoke(Job* job, const std::string& params, Ports& ports, int64_t now) {
  StageState& st = job->stage(index_);
  if (now == 0) now = now_ns();
  if (++st.attempts == 1) st.start_ns = now;
  int64_t deadline = spec().timeout_ms > 0 ? now + spec().timeout_ms * 1000000 : 0;
  bool job_deadline_first = job->deadline_ns() != 0 && (deadline == 0 || job->deadline_ns() < deadline);
  int64_t call_deadline = job_deadline_first ? job->deadline_ns() : deadline;
  aiw_call* call;
  if (st.attempts == 1) {
    call = new (st.call_storage) aiw_call(job, this, now, call_deadline);
    call->embedded = true;
  } else {
    call = new aiw_call(job, this, now, call_deadline);
  }
  call->deadline_is_job = job_deadline_first;
  metrics().started.add();
  const int64_t cpu_start = metrics().account_cpu ? obs::thread_cpu_ns() : 0;
  {
    // Until the plugin returns, an end on this thread is this call ending inside invoke().
    Invoking invoking(call);
    try {
      instance_.invoke(call, params);
    } catch (const std::exception& e) {  // a raw C++ plugin without the SDK's guard
      CallOutcome thrown;
      thrown.kind = CallOutcome::Kind::kError;
      thrown.error_kind = ErrorKind::kPermanent;
      thrown.message = std::string("stage threw an exception: ") + e.what();
      end_call(call, std::move(thrown));
    } catch (...) {
      CallOutcome thrown;
      thrown.kind = CallOutcome::Kind::kError;
      thrown.error_kind = ErrorKind::kPermanent;
      thrown.message = "stage threw a non-standard exception";
      end_call(call, std::move(thrown));
    }
  }
  if (metrics().account_cpu) metrics().cpu_ns.add(static_cast<uint64_t>(obs::thread_cpu_ns() - cpu_start));
  // While this body runs, its task keeps the graph from being idle. A call that goes on after
  // invoke() returned needs the graph's wait count held until its end has been handled, and
  // the hold must start before the hand-off is published (else a fast completion could drop
  // the count to zero under a waiter). A call that already ended needs neither.
  int handoff = call->handoff.load();
  if (handoff != aiw_call::kInBody && call->refs.load(std::memory_order_acquire) == 1) {
    // Ended inside invoke() and only this body still holds it (the common, synchronous case):
    // it ends its life here, before the job moves on, and never needed a hold on its job.
    call->destroy();
    if (handoff == aiw_call::kEndedPassOn) pass_on(job, &ports);
    return;
  }
  call->hold_job();  // from here it may outlive this body and the job's stay in the graph
  bool held = false;
  if (handoff == aiw_call::kInBody) {
    core_.graph.reserve_wait();
    metrics().enter();
    held = true;
    handoff = call->handoff.exchange(aiw_call::kBodyReturned);
  }
  if (held && handoff != aiw_call::kInBody) metrics().leave();  // it ended just now after all
  switch (handoff) {
    case aiw_call::kEndedPassOn:  // ended inside invoke(): the fast path
      pass_on(job, &ports);
      if (held) core_.graph.release_wait();
      break;
    case aiw_call::kEndedHold:  // ended inside invoke() and waits to be retried
      if (held) core_.graph.release_wait();
      break;
    default:  // still running: make it abortable and bound it in time
      if (!job->add_call(call)) {
        CallOutcome aborted;
        aborted.kind = CallOutcome::Kind::kAborted;
        aborted.message = "aborted: the job had already ended";
        end_call(call, std::move(aborted));
      } else if (!call->ended()) {
        arm_call_timeout(call);
      }
  }
  call->release();
}

// Inline into on_call_end, its one caller on the hot path.
[[gnu::always_inline]] inline void StageNode::hand_off(aiw_call* call, bool pass) {
  int ended = pass ? aiw_call::kEndedPassOn : aiw_call::kEndedHold;
  if (call == t_invoking) {  // ended inside invoke() on this thread: the body finishes the job
    call->handoff.store(ended, std::memory_order_relaxed);
    return;
  }
  int previous = call->handoff.exchange(ended);
  if (previous == aiw_call::kInBody) return;  // the body, still in invoke(), finishes the job
  if (pass) pass_on(call->job, nullptr);
  core_.graph.release_wait();  // the body's hold; last: the engine may go once the graph is idle
}

[[gnu::always_inline]] inline int64_t StageNode::note_call_end(aiw_call* call) {
  int64_t end = now_ns();
  metrics().latency.record_ns(end - call->start_ns);
  // Only a call still running after invoke() returned was counted in flight and can have been
  // registered for aborts.
  if (call->handoff.load() != aiw_call::kInBody) {
    metrics().leave();
    call->job->remove_call(call);
  }
  return end;
}

void StageNode::on_call_ok(aiw_call* call, std::string_view output_json) {
  int64_t end = note_call_end(call);
  Job* job = call->job;
  StageState& st = job->stage(index_);
  // A document only when a template reads this output; else a syntax check (no document).
  bool valid = output_needed_ ? parse_output(job, output_json) : !json_syntax_error(output_json);
  if (!valid) {
    CallOutcome bad;
    bad.kind = CallOutcome::Kind::kError;
    bad.error_kind = ErrorKind::kPermanent;
    bad.message = "returned output that is not valid JSON";
    bad.from_plugin = true;
    on_call_error(call, std::move(bad), end);
    return;
  }
  if (keep_output_text_) st.output_text.assign(output_json);
  st.status = StageStatus::kOk;
  metrics().succeeded.add();
  st.end_ns = end;
  report_progress(core_, job, index_);
  hand_off(call, true);
}

// Out of line: RapidJSON's reader inlined here gave every call's end a large stack frame.
[[gnu::noinline]] bool StageNode::parse_output(Job* job, std::string_view output_json) {
  StageState& st = job->stage(index_);
  if (!st.output) st.output = std::make_unique<Json>();
  st.output->Parse(output_json.data(), output_json.size());
  if (st.output->HasParseError()) return false;
  job->set_output(index_, st.output.get());
  return true;
}

void StageNode::on_call_end(aiw_call* call, CallOutcome&& outcome) {
  if (outcome.kind == CallOutcome::Kind::kOk) {
    on_call_ok(call, outcome.output_json);
    return;
  }
  on_call_error(call, std::move(outcome), note_call_end(call));
}

void StageNode::on_call_error(aiw_call* call, CallOutcome&& outcome, int64_t end) {
  Job* job = call->job;
  if (outcome.kind == CallOutcome::Kind::kError &&
      outcome.error_kind == ErrorKind::kRetryable && schedule_retry(job, outcome)) {
    metrics().retried.add();
    hand_off(call, false);
    return;
  }
  record_failure(job, outcome);
  job->stage(index_).end_ns = end;
  report_progress(core_, job, index_);
  hand_off(call, true);
}

bool StageNode::schedule_retry(Job* job, const CallOutcome& outcome) {
  const auto& policy = spec().retry;
  StageState& st = job->stage(index_);
  if (!policy || st.attempts >= policy->max_attempts || job->ended_early()) return false;
  int64_t delay_ms = outcome.retry_after_ms >= 0
                         ? outcome.retry_after_ms
                         : jittered(std::min<int64_t>(policy->delay_ms << (st.attempts - 1), 60000));
  if (job->deadline_ns() != 0 && now_ns() + delay_ms * 1000000 >= job->deadline_ns()) return false;
  obs::log(obs::LogLevel::kInfo, "stage failed and will be tried again",
           {{"stage", spec().id}, {"job", job->request().id}, {"error", outcome.message}});
  core_.graph.reserve_wait();  // the wait is work in flight
  st.retry_timer.store(
      core_.loop->add_timer(std::chrono::milliseconds(delay_ms),
                            [this, job] { retry_now(job); }),
      std::memory_order_release);
  return true;
}

void StageNode::retry_now(Job* job) {
  exec_->try_put(job);  // run() skips it when the job ended meanwhile
  core_.graph.release_wait();
}

void StageNode::record_failure(Job* job, const CallOutcome& outcome) {
  StageState& st = job->stage(index_);
  st.error = outcome.message;
  if (outcome.kind == CallOutcome::Kind::kAborted) {
    st.status = StageStatus::kAborted;
    return;
  }
  st.status = StageStatus::kFailed;
  metrics().failed.add();
  if (spec().optional) {
    obs::log(obs::LogLevel::kWarn, "an optional stage failed; the job goes on without its output",
             {{"stage", spec().id}, {"job", job->request().id}, {"error", outcome.message}});
    return;
  }
  job->fail(JobResult::Status::kFailed, outcome.error_kind, describe() + ": " + outcome.message,
            spec().id, outcome.retry_after_ms);
}

void StageNode::pass_on(Job* job, Ports* ports) {
  if (limiter_) limiter_->decrementer().try_put(tbb::flow::continue_msg());
  if (terminal_) {
    // Inside the body (an engine thread) the job's finish runs right here, saving a task;
    // from the I/O thread it goes through the finish node, so that on_done runs on an engine
    // thread as promised and never holds up the I/O loop.
    if (ports) core_.terminal_passed(job, job->stage(index_).end_ns);
    else core_.finish->try_put(job);
    return;
  }
  if (!ports) {
    tbb::flow::output_port<0>(*exec_).try_put(job);
    return;
  }
  if (chained_next_ && t_chain_depth < kMaxChainDepth) {
    // Runs the next stage's body here: same thread and order as task bypass, without the
    // task (~370 instructions a stage). Only inside a body: the I/O thread never runs stages.
    ChainDepth depth;
    // The end of this stage (0 when it was skipped) is the start of the next: one clock
    // reading (~16 ns here) fewer per link.
    chained_next_->run(job, chained_next_->exec_->output_ports(), job->stage(index_).end_ns);
    return;
  }
  std::get<0>(*ports).try_put(job);
}

}  // namespace aiw::engine
