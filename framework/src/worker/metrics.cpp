#include "worker/metrics.h"

#include "obs/prometheus.h"

namespace aiw::worker {

WorkerMetrics::WorkerMetrics(const std::vector<std::string>& types) {
  for (const std::string& t : types) types_.emplace(t, std::make_unique<TypeMetrics>());
}

TypeMetrics& WorkerMetrics::of(const std::string& type) { return *types_.find(type)->second; }

void WorkerMetrics::render(obs::PrometheusText& out) const {
  // The exposition format wants each family's samples together: families outside, types inside.
  auto counters = [&](const char* name, const char* help, auto member) {
    for (const auto& [type, m] : types_) out.counter(name, help, {{"type", type}}, ((*m).*member).load());
  };
  counters("aiw_jobs_claimed_total", "Jobs claimed by this worker.", &TypeMetrics::claimed);
  counters("aiw_jobs_completed_total", "Jobs completed (cache hits included).", &TypeMetrics::completed);
  counters("aiw_jobs_failed_total", "Jobs failed for good.", &TypeMetrics::failed);
  counters("aiw_jobs_retried_total", "Jobs sent back to pending to be retried.", &TypeMetrics::retried);
  counters("aiw_jobs_cancelled_total", "Running jobs aborted because a user cancelled them.", &TypeMetrics::cancelled);
  counters("aiw_jobs_given_back_total", "Running jobs returned to pending unfinished (drain, lost lease).", &TypeMetrics::given_back);
  counters("aiw_cache_hits_total", "Jobs answered from analysis_cache.", &TypeMetrics::cache_hits);
  for (const auto& [type, m] : types_)
    out.histogram("aiw_queue_wait_seconds", "From claimable to claimed.", {{"type", type}}, m->queue_wait);
  for (const auto& [type, m] : types_)
    out.histogram("aiw_processing_seconds", "From claimed to outcome written, in the worker.", {{"type", type}}, m->processing);
  out.gauge("aiw_jobs_in_flight", "Jobs this worker holds (running or writing their outcome).", {},
            static_cast<double>(in_flight.load()));
  out.gauge("aiw_database_up", "1 while the worker reaches PostgreSQL.", {}, database_up.load() ? 1 : 0);
  out.gauge("aiw_worker_draining", "1 after SIGTERM, while in-flight jobs finish.", {}, draining.load() ? 1 : 0);
  out.counter("aiw_outcome_writes_total", "Statements that wrote job outcomes.", {}, outcome_writes.load());
  out.counter("aiw_outcomes_fenced_total", "Outcomes not written because the job was no longer this worker's.", {}, outcomes_fenced.load());
  out.counter("aiw_jobs_reaped_total", "Jobs of dead workers or stuck jobs handled by this worker's reaper.", {}, reaped.load());
  out.counter("aiw_database_errors_total", "Lost connections and failed statements.", {}, database_errors.load());
}

}  // namespace aiw::worker
