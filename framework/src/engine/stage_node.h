// StageNode: one stage of a pipeline inside the flow graph, with its plugin instance.
//
//   [gate]  -> [queue -> limiter] -> exec (async_node) -> successors / finish
//   fan-in     concurrency only       invokes the plugin; completion puts the job on
#pragma once

#include "engine/call.h"
#include "engine/engine_core.h"

#include <memory>
#include <string>

namespace aiw::engine {

class StageNode {
 public:
  using ExecNode = tbb::flow::async_node<Job*, Job*>;
  using GateNode = tbb::flow::multifunction_node<Job*, std::tuple<Job*>>;

  StageNode(EngineCore& core, size_t index, const aiw_stage_type* type, void* instance);
  ~StageNode();
  StageNode(const StageNode&) = delete;
  StageNode& operator=(const StageNode&) = delete;

  // Where upstream stages (or submit, for roots) put a job.
  tbb::flow::receiver<Job*>& entry();
  ExecNode& exec() { return *exec_; }
  size_t index() const { return index_; }
  const pipeline::StageSpec& spec() const { return core_.spec.stages[index_]; }
  obs::StageMetrics& metrics() { return *core_.metrics[index_]; }
  // True when some template reads this stage's output, so it must be parsed.
  void set_output_needed() { output_needed_ = true; }

  // Completion path of a call (any thread).
  void on_call_end(aiw_call* call, CallOutcome&& outcome);
  // Ends a backoff wait early (or when it is due): the job goes through run() again.
  void retry_now(Job* job);

 private:
  void run(Job* job);
  void invoke(Job* job, const std::string& params);
  // Passes the job on to the successors and gives back the concurrency slot.
  void pass_on(Job* job);
  bool schedule_retry(Job* job, const CallOutcome& outcome);
  void record_failure(Job* job, const CallOutcome& outcome);
  std::string describe() const;  // "stage 'detect' (yolo.detect)"

  EngineCore& core_;
  size_t index_;
  const aiw_stage_type* type_;
  void* instance_;
  bool output_needed_ = false;
  std::unique_ptr<ExecNode> exec_;
  std::unique_ptr<GateNode> gate_;
  std::unique_ptr<tbb::flow::queue_node<Job*>> queue_;
  std::unique_ptr<tbb::flow::limiter_node<Job*>> limiter_;
};

}  // namespace aiw::engine
