// StageNode: one stage of a pipeline inside the flow graph, with its plugin instance.
//
//   [gate]  -> [queue -> limiter] -> exec -> successors / finish
//   fan-in     concurrency only       invokes the plugin and returns at once
//
// exec is a multifunction_node: when the plugin ends the call inside invoke() (CPU work), the
// body passes the job on through its own output port, with no hand-off; when it ends later
// (I/O), the completion path puts the job on the same port from the I/O thread, having held
// the graph's wait count meanwhile (what async_node's gateway does, without its enqueue).
//
// Inside a body, a job that goes on to a stage which is the only successor and takes jobs
// straight into exec runs that stage's body at once, in the same task (task bypass without
// the task); a terminal stage finishes the job itself. From the I/O thread both go through
// the graph's nodes, so stage bodies and on_done only ever run on engine threads.
#pragma once

#include "engine/call.h"
#include "engine/engine_core.h"
#include "plugin/stage_instance.h"

#include <memory>
#include <string>

namespace aiw::engine {

class StageNode {
 public:
  using ExecNode = tbb::flow::multifunction_node<Job*, std::tuple<Job*>>;
  using GateNode = tbb::flow::multifunction_node<Job*, std::tuple<Job*>>;
  using Ports = ExecNode::output_ports_type;

  StageNode(EngineCore& core, size_t index, plugin::StageInstance instance);
  ~StageNode();
  StageNode(const StageNode&) = delete;
  StageNode& operator=(const StageNode&) = delete;

  // Where upstream stages (or submit, for roots) put a job.
  tbb::flow::receiver<Job*>& entry();
  ExecNode& exec() { return *exec_; }
  // True when jobs enter straight into exec (no fan-in gate, no concurrency limit).
  bool entry_is_exec() const { return !gate_ && !queue_; }
  size_t index() const { return index_; }
  const pipeline::StageSpec& spec() const { return spec_; }
  obs::StageMetrics& metrics() { return metrics_; }
  // True when some template reads this stage's output, so it must be parsed.
  void set_output_needed() { output_needed_ = true; }
  // True for the stage whose whole output is the job's result (kept as text).
  void set_keep_output_text() { keep_output_text_ = true; }
  // True for a stage nobody needs: it hands its jobs to the engine's finish step.
  void set_terminal() { terminal_ = true; }
  // The only stage that needs this one, when it takes jobs straight into its exec node (no
  // fan-in gate, no concurrency limit): jobs that end inside this stage's body run on into
  // that stage in the same task, as TBB's task bypass would, instead of spawning a task.
  void set_chained_successor(StageNode* next) { chained_next_ = next; }

  // Completion path of a call (any thread).
  void on_call_end(aiw_call* call, CallOutcome&& outcome);
  // The same for a call the plugin completed with output_json (valid while this runs): the
  // common end, which needs no CallOutcome.
  void on_call_ok(aiw_call* call, std::string_view output_json);
  // Ends a backoff wait early (or when it is due): the job goes through run() again.
  void retry_now(Job* job);

 private:
  // now, when non-zero, is a clock reading taken just before on this thread (the end of
  // the chained stage before this one), used instead of reading the clock again.
  void run(Job* job, Ports& ports, int64_t now = 0);
  void invoke(Job* job, const std::string& params, Ports& ports, int64_t now);
  // Passes the job on to the successors and gives back the concurrency slot; ports is null
  // outside the node's body.
  void pass_on(Job* job, Ports* ports);
  // Marks a call's job as handled by the completion path, or leaves it to the body.
  void hand_off(aiw_call* call, bool pass);
  // What every end does first: the latency, and the in-flight count of a call that outlived
  // invoke(). Returns the end's clock reading.
  int64_t note_call_end(aiw_call* call);
  // Parses a call's output into its job's stage state, for the templates that read it.
  bool parse_output(Job* job, std::string_view output_json);
  // An end that is not a success (error, abort, or output that is not JSON).
  void on_call_error(aiw_call* call, CallOutcome&& outcome, int64_t end);
  bool schedule_retry(Job* job, const CallOutcome& outcome);
  void record_failure(Job* job, const CallOutcome& outcome);
  std::string describe() const;  // "stage 'detect' (yolo.detect)"

  EngineCore& core_;
  size_t index_;
  // Looked up once: both outlive the node and are read several times a stage of every job.
  const pipeline::StageSpec& spec_;
  obs::StageMetrics& metrics_;
  plugin::StageInstance instance_;  // destroyed with the node, through the plugin
  bool output_needed_ = false;
  bool keep_output_text_ = false;
  bool terminal_ = false;
  // The parameters when they hold no reference (the same text for every job), else null.
  const std::string* constant_params_ = nullptr;
  StageNode* chained_next_ = nullptr;
  std::unique_ptr<ExecNode> exec_;
  std::unique_ptr<GateNode> gate_;
  std::unique_ptr<tbb::flow::queue_node<Job*>> queue_;
  std::unique_ptr<tbb::flow::limiter_node<Job*>> limiter_;
};

}  // namespace aiw::engine
