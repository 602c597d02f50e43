// EngineCore: the parts of an Engine that stages, calls and jobs reach. Internal; the only
// engine header that pulls in the oneTBB flow graph.
#pragma once

#include "common/status.h"
#include "engine/job_result.h"
#include "json/schema.h"
#include "obs/stage_metrics.h"
#include "pipeline/spec.h"

#include <oneapi/tbb/flow_graph.h>

#include <memory>
#include <optional>
#include <vector>

namespace aiw::net {
class IoLoop;
}

namespace aiw::engine {

class Job;
class JobPool;
class StageNode;

struct EngineCore {
  EngineCore(pipeline::PipelineSpec spec_in, net::IoLoop* loop_in);
  ~EngineCore();

  // A terminal stage is through with the job (the finish node, or the stage's own body);
  // finalizes the job after the last one. now: a clock reading just taken on this thread
  // (the stage's end), or 0.
  void terminal_passed(Job* job, int64_t now = 0);
  // Builds the job's result, hands it to on_done and lets go of the job.
  void finalize(Job* job, int64_t now);
  // A stage of the job finished (for progress reporting).
  void stage_finished(Job* job, size_t stage_index);
  // Compiles spec.input_schema_json once, at engine creation.
  Status compile_input_schema();
  // Checks a job's input against the pipeline's `input` schema.
  Status validate_input(const JsonValue& input) const;
  // Starts the job's deadline timer, when it has a deadline.
  void arm_deadline(Job* job);
  // Ends the backoff wait of stages waiting to retry, so a failed or cancelled job drains now.
  void wake_retries(Job* job);

  pipeline::PipelineSpec spec;
  net::IoLoop* loop;
  std::vector<std::unique_ptr<obs::StageMetrics>> metrics;
  std::optional<json::Schema> input_schema;
  // False when no template reads ${input...} and there is no input schema: a job's input is
  // then only checked for syntax, never parsed into a document.
  bool input_document_needed = true;
  // The stage whose output, as the plugin wrote it, is the job's result (the pipeline's
  // `output` is `${stages.<id>.output}`, the default), found once at engine creation.
  std::optional<size_t> whole_output_stage;
  JobPool* job_pool;  // closed, not deleted, with the engine: job handles may outlive it
  // Declared before the nodes: nodes are destroyed first, while the graph is still alive.
  tbb::flow::graph graph;
  std::vector<std::unique_ptr<StageNode>> nodes;
  std::vector<size_t> roots;  // stages with no needs
  // Fan-in stages (more than one need) and how many: the only ones whose gate counts a job's
  // finished upstreams (StageState::pending_needs), set for each job as it is made.
  std::vector<std::pair<size_t, int>> fan_ins;
  int terminal_count = 0;     // stages nobody needs; the job is done when all are through
  std::unique_ptr<tbb::flow::function_node<Job*>> finish;
};

}  // namespace aiw::engine
