// Engine: runs jobs of one pipeline on a oneTBB flow graph built once from its spec.
//
// Each stage is an async_node whose body invokes the plugin and returns at once; the plugin
// ends the call now (CPU work) or later from the I/O loop (HTTP, timers), and the completion
// puts the job into the graph again. So thousands of jobs can wait on the network with no TBB
// thread blocked. A stage with `concurrency: N` sits behind a queue_node + limiter_node pair
// whose count is given back when a call ends, not when the body returns (backpressure without
// holding threads). Stages with several `needs` sit behind a gate that passes a job on when
// its last upstream finished (fan-in); a stage with several successors broadcasts (fan-out).
//
//   Result<std::unique_ptr<Engine>> engine = Engine::create(spec, registry);
//   (*engine)->submit({.id = "job-1", .input_json = R"({"x":1})",
//                      .on_done = [](JobResult&& r) { ... }});
//   (*engine)->wait_idle();
#pragma once

#include "common/status.h"
#include "engine/job_result.h"
#include "obs/stage_metrics.h"
#include "pipeline/spec.h"

#include <memory>
#include <string>
#include <vector>

namespace aiw::plugin {
class PluginRegistry;
}
namespace aiw::net {
class IoLoop;
}

namespace aiw::engine {

class Job;

// A submitted job; lets the caller cancel it. Cheap to copy; safe after the job finished.
class JobHandle {
 public:
  JobHandle() = default;
  explicit JobHandle(Job* job);
  ~JobHandle();
  JobHandle(const JobHandle& other);
  JobHandle& operator=(const JobHandle& other);
  // Ends the job as cancelled: in-flight stages are aborted (their HTTP too), the rest skipped.
  void cancel(const std::string& reason = "the job was cancelled");
  bool valid() const { return job_ != nullptr; }

 private:
  Job* job_ = nullptr;
};

class Engine {
 public:
  // Builds the graph and creates one plugin instance per stage. Fails with a sentence naming
  // the stage when a stage type is missing or its plugin refuses the parameters. `loop`
  // (default: IoLoop::shared()) must outlive the engine and stay running while it does: the
  // engine waits for every callback the loop owes its calls, and a stopped loop drops timers.
  // The registry must outlive the engine too (it keeps the plugins loaded).
  static Result<std::unique_ptr<Engine>> create(pipeline::PipelineSpec spec,
                                                const plugin::PluginRegistry& registry,
                                                net::IoLoop* loop = nullptr);
  ~Engine();

  // Starts a job. Never blocks; request.on_done runs exactly once.
  JobHandle submit(JobRequest&& request);
  // The same, for a caller that will never cancel the job: no handle, which saves two
  // reference-count updates on the job (`aiw bench`; ~2 % of a no-op job).
  void post(JobRequest&& request);
  // Blocks until every submitted job has finished, helping to run the graph meanwhile.
  void wait_idle();

  const pipeline::PipelineSpec& spec() const;
  // One entry per stage, in pipeline order.
  const std::vector<std::unique_ptr<obs::StageMetrics>>& stage_metrics() const;
  // Counts each stage's CPU time in its metrics (StageMetrics::cpu_ns). Two extra system calls
  // per stage call and callback: for benchmarks (`aiw bench`). Call before the first submit.
  void account_stage_cpu();

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  Job* create_job(JobRequest&& request);
  void start(Job* job);  // checks the input, arms the deadline, puts the job into the graph
  std::unique_ptr<Impl> impl_;
};

}  // namespace aiw::engine
