#include "worker/worker.h"

#include <random>
#include <thread>

#include "obs/clock.h"
#include "obs/log.h"
#include "obs/prometheus.h"
#include "worker/dispatcher.h"
#include "worker/maintenance.h"
#include "worker/worker_state.h"

namespace aiw::worker {
namespace {

RetrySettings retry_settings(const WorkerConfig& c) {
  RetrySettings r;
  r.max_retries = c.max_retries;
  r.base_delay_ms = c.retry_delay_ms;
  r.max_delay_ms = c.retry_max_delay_ms;
  r.cache_ttl_seconds = c.cache_ttl_hours * 3600;
  return r;
}

// Waits until pred() or timeout, checking every few milliseconds (only used while stopping).
template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

constexpr auto kFinalWriteTimeout = std::chrono::seconds(10);

}  // namespace

std::string make_worker_id(const std::string& configured) {
  std::random_device rd;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rd()));
  return configured + "/" + suffix;
}

WorkerState::WorkerState(WorkerConfig config_in, PipelineSet pipelines_in, std::string worker_id_in)
    : config(std::move(config_in)), pipelines(std::move(pipelines_in)),
      worker_id(std::move(worker_id_in)), types(pipelines.types()),
      retry(retry_settings(config)), metrics(types) {}

Worker::Worker(WorkerConfig config, PipelineSet pipelines) {
  std::string id = make_worker_id(config.worker_id);
  state_ = std::make_unique<WorkerState>(std::move(config), std::move(pipelines), std::move(id));
  WorkerState* s = state_.get();
  state_->writer = std::make_unique<OutcomeWriter>(s->config.database_url, s->worker_id, s->running,
                                                   s->metrics, [s] { s->wake.signal(); });
  dispatcher_ = std::make_unique<Dispatcher>(*state_);
  maintenance_ = std::make_unique<Maintenance>(*state_);
}

Worker::~Worker() {
  if (started_ && !stopped_) drain_and_stop();
}

void Worker::start() {
  started_ = true;
  state_->writer->start();
  maintenance_->start();
  dispatcher_->start();
  std::string types;
  for (const auto& t : state_->types) types += (types.empty() ? "" : ",") + t;
  obs::log(obs::LogLevel::kInfo, "worker started",
           {{"worker", state_->worker_id}, {"types", types},
            {"concurrency", std::to_string(state_->config.concurrency)}});
}

void Worker::drain_and_stop() {
  if (stopped_) return;
  stopped_ = true;
  WorkerState& s = *state_;
  {
    std::lock_guard claims(s.claim_mu);  // waits for a claim in progress to start its jobs
    s.draining = true;
  }
  s.metrics.draining = true;
  maintenance_->beat_soon();
  obs::log(obs::LogLevel::kInfo, "draining: no new claims; waiting for jobs in flight",
           {{"in_flight", std::to_string(s.running.size())}});
  const auto drain = std::chrono::milliseconds(s.config.drain_timeout_ms);
  if (!wait_until([&] { return s.running.size() == 0; }, drain)) {
    auto left = s.running.all();
    obs::log(obs::LogLevel::kWarn, "drain timeout: giving unfinished jobs back to the queue",
             {{"count", std::to_string(left.size())}});
    for (const auto& job : left) job->stop(StopReason::kGiveBack, "the worker is shutting down");
    wait_until([&] { return s.running.size() == 0; }, kFinalWriteTimeout);
  }
  dispatcher_->stop();
  s.writer->stop(kFinalWriteTimeout);
  maintenance_->stop();
  for (const auto& [type, p] : s.pipelines.all()) p->engine->wait_idle();
  obs::log(obs::LogLevel::kInfo, "worker stopped", {{"worker", s.worker_id}});
}

Worker::Health Worker::health() const {
  if (state_->draining) return {false, "draining: the worker is shutting down"};
  if (!state_->metrics.database_up) return {false, "the database cannot be reached"};
  return {true, ""};
}

std::string Worker::metrics_text() const {
  obs::PrometheusText out;
  state_->metrics.render(out);
  std::vector<const obs::StageMetrics*> stages;
  for (const auto& [type, p] : state_->pipelines.all())
    for (const auto& m : p->engine->stage_metrics()) stages.push_back(m.get());
  auto counters = [&](const char* name, const char* help, auto member) {
    for (const auto* m : stages)
      out.counter(name, help, {{"pipeline", m->pipeline}, {"stage", m->stage}, {"uses", m->stage_type}},
                  (m->*member).load());
  };
  counters("aiw_stage_started_total", "Stage invocations (retries included).", &obs::StageMetrics::started);
  counters("aiw_stage_succeeded_total", "Stage invocations that succeeded.", &obs::StageMetrics::succeeded);
  counters("aiw_stage_failed_total", "Stages that failed after their own retries.", &obs::StageMetrics::failed);
  counters("aiw_stage_retried_total", "Stage invocations that will be tried again.", &obs::StageMetrics::retried);
  counters("aiw_stage_skipped_total", "Stages not run because the job had ended.", &obs::StageMetrics::skipped);
  for (const auto* m : stages)
    out.gauge("aiw_stage_in_flight", "Calls waiting on I/O in this stage.",
              {{"pipeline", m->pipeline}, {"stage", m->stage}, {"uses", m->stage_type}},
              static_cast<double>(m->in_flight.load()));
  for (const auto* m : stages)
    out.histogram("aiw_stage_duration_seconds", "Stage invocation latency.",
                  {{"pipeline", m->pipeline}, {"stage", m->stage}, {"uses", m->stage_type}}, m->latency);
  return out.text();
}

const std::string& Worker::id() const { return state_->worker_id; }

size_t Worker::in_flight() const { return state_->running.size(); }

}  // namespace aiw::worker
