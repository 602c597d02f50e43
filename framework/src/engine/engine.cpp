#include "engine/engine.h"

#include "engine/engine_core.h"
#include "engine/job.h"
#include "engine/json_syntax.h"
#include "engine/stage_node.h"
#include "net/io_loop.h"
#include "obs/log.h"
#include "plugin/registry.h"

namespace aiw::engine {

struct Engine::Impl {
  std::unique_ptr<EngineCore> core;
};

namespace {

void wire(EngineCore& core) {
  using namespace tbb::flow;
  std::vector<int> successors(core.nodes.size(), 0);
  std::vector<size_t> last_successor(core.nodes.size(), 0);
  for (size_t i = 0; i < core.nodes.size(); ++i) {
    const auto& needs = core.spec.stages[i].needs;
    if (needs.empty()) core.roots.push_back(i);
    if (needs.size() > 1) core.fan_ins.emplace_back(i, static_cast<int>(needs.size()));
    for (size_t up : needs) {
      make_edge(core.nodes[up]->exec(), core.nodes[i]->entry());
      ++successors[up];
      last_successor[up] = i;
    }
  }
  // Links of a linear chain: the edge stays, for jobs passed on from the I/O thread.
  for (size_t up = 0; up < core.nodes.size(); ++up) {
    StageNode* next = successors[up] == 1 ? core.nodes[last_successor[up]].get() : nullptr;
    if (next && next->entry_is_exec()) core.nodes[up]->set_chained_successor(next);
  }
  for (size_t i = 0; i < core.nodes.size(); ++i) {
    if (successors[i] == 0) {
      core.nodes[i]->set_terminal();  // it reaches core.finish itself, see StageNode::pass_on
      ++core.terminal_count;
    }
  }
}

bool input_document_needed(const EngineCore& core) {
  if (core.input_schema || core.spec.output.reads_input()) return true;
  for (const auto& stage : core.spec.stages)
    if (stage.with.reads_input()) return true;
  return false;
}

void mark_needed_outputs(EngineCore& core) {
  for (const auto& stage : core.spec.stages)
    for (size_t r : stage.with.referenced_stages()) core.nodes[r]->set_output_needed();
  if (auto whole = core.whole_output_stage) {
    core.nodes[*whole]->set_keep_output_text();
    return;
  }
  for (size_t r : core.spec.output.referenced_stages()) core.nodes[r]->set_output_needed();
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(pipeline::PipelineSpec spec,
                                              const plugin::PluginRegistry& registry,
                                              net::IoLoop* loop) {
  auto core = std::make_unique<EngineCore>(std::move(spec), loop ? loop : &net::IoLoop::shared());
  if (Status s = core->compile_input_schema(); !s.ok()) return s;
  for (size_t i = 0; i < core->spec.stages.size(); ++i) {
    const pipeline::StageSpec& stage = core->spec.stages[i];
    const plugin::StageTypeInfo* type = registry.find(stage.uses);
    if (type == nullptr) {
      return Status::error("stage '" + stage.id + "' uses stage type '" + stage.uses +
                           "', which no loaded plugin provides (is its .so on AIW_PLUGIN_PATH?)");
    }
    auto metrics = std::make_unique<obs::StageMetrics>();
    metrics->pipeline = core->spec.name;
    metrics->stage = stage.id;
    metrics->stage_type = stage.uses;
    core->metrics.push_back(std::move(metrics));
    // Made from the `with` block as written (references unresolved), once per stage. The
    // spec's own string: StageNode passes this very pointer back for constant parameters.
    auto instance = plugin::PluginRegistry::create_instance(*type, stage.with_json);
    if (!instance.ok())
      return Status::error("stage '" + stage.id + "' (" + stage.uses + "): " + instance.error());
    core->nodes.push_back(std::make_unique<StageNode>(*core, i, std::move(*instance)));
  }
  EngineCore* raw = core.get();
  core->finish = std::make_unique<tbb::flow::function_node<Job*>>(
      core->graph, tbb::flow::unlimited, [raw](Job* job) {
        raw->terminal_passed(job);
        return tbb::flow::continue_msg();
      });
  wire(*core);
  core->whole_output_stage = core->spec.output.whole_stage_output();
  mark_needed_outputs(*core);
  core->input_document_needed = input_document_needed(*core);
  auto impl = std::make_unique<Impl>();
  impl->core = std::move(core);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { impl_->core->graph.wait_for_all(); }

JobHandle Engine::submit(JobRequest&& request) {
  Job* job = create_job(std::move(request));
  JobHandle handle(job);  // before the job starts: it may be over by the time start() returns
  start(job);
  return handle;
}

void Engine::post(JobRequest&& request) { start(create_job(std::move(request))); }

Job* Engine::create_job(JobRequest&& request) {
  EngineCore& core = *impl_->core;
  size_t n = core.spec.stages.size();
  Job* job = Job::create(&core, std::move(request), n);  // its one reference is the graph's
  for (const auto& [stage, needs] : core.fan_ins)
    job->stage(stage).pending_needs.store(needs, std::memory_order_relaxed);
  job->terminals_left.store(core.terminal_count, std::memory_order_relaxed);
  return job;
}

void Engine::start(Job* job) {
  EngineCore& core = *impl_->core;

  const std::string& text = job->request().input_json;
  std::optional<size_t> syntax_error;
  if (core.input_document_needed) {
    Json& input = job->build_input();
    input.Parse(text.data(), text.size());
    if (input.HasParseError()) syntax_error = input.GetErrorOffset();
  } else {
    syntax_error = json_syntax_error(text);
  }
  if (syntax_error) {
    job->fail(JobResult::Status::kFailed, ErrorKind::kPermanent,
              "the job's input is not valid JSON (at character " +
                  std::to_string(*syntax_error) + ")",
              "", -1);
  } else if (core.input_schema) {  // it makes the document needed, so input() is built
    if (Status valid = core.validate_input(*job->input()); !valid.ok())
      job->fail(JobResult::Status::kFailed, ErrorKind::kPermanent, valid.message(), "", -1);
  }
  core.arm_deadline(job);
  // Even a job that already failed crosses the graph (every stage skips it), so that there is
  // one way for a job to finish.
  for (size_t r : core.roots) core.nodes[r]->entry().try_put(job);
}

void Engine::wait_idle() { impl_->core->graph.wait_for_all(); }

const pipeline::PipelineSpec& Engine::spec() const { return impl_->core->spec; }

const std::vector<std::unique_ptr<obs::StageMetrics>>& Engine::stage_metrics() const {
  return impl_->core->metrics;
}

void Engine::account_stage_cpu() {
  for (auto& m : impl_->core->metrics) m->account_cpu = true;
}

JobHandle::JobHandle(Job* job) : job_(job) {
  if (job_) job_->retain();
}
JobHandle::~JobHandle() {
  if (job_) job_->release();
}
JobHandle::JobHandle(const JobHandle& other) : job_(other.job_) {
  if (job_) job_->retain();
}
JobHandle& JobHandle::operator=(const JobHandle& other) {
  if (this != &other) {
    if (other.job_) other.job_->retain();
    if (job_) job_->release();
    job_ = other.job_;
  }
  return *this;
}
void JobHandle::cancel(const std::string& reason) {
  if (job_) job_->fail(JobResult::Status::kCancelled, ErrorKind::kCancelled, reason, "", -1);
}

}  // namespace aiw::engine
