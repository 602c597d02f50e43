// Worker: `aiw worker`'s engine room. Claims jobs of the types its pipelines serve from
// PostgreSQL, runs them on the engines with WORKER_CONCURRENCY in flight, writes their outcomes,
// beats, reaps, prunes; drains on request. See DESIGN.md "Queue" and docs/operations.md.
//
//   auto worker = std::make_unique<Worker>(config, std::move(pipelines));
//   worker->start();
//   ... SIGTERM ...
//   worker->drain_and_stop();
#pragma once

#include <memory>
#include <string>

#include "worker/config.h"
#include "worker/pipeline_set.h"

namespace aiw::worker {

struct WorkerState;
class Dispatcher;
class Maintenance;

class Worker {
 public:
  Worker(WorkerConfig config, PipelineSet pipelines);
  ~Worker();  // drain_and_stop() if still running

  void start();
  // Stops claiming, lets in-flight jobs finish within WORKER_DRAIN_TIMEOUT_MS, gives the rest
  // back to pending, writes every outcome it can, marks the worker stopped. Blocks until done.
  void drain_and_stop();

  // /health: the database answers and the worker is not draining; reason says which is not.
  struct Health {
    bool ok = false;
    const char* reason = "";
  };
  Health health() const;
  // /metrics: Prometheus text of the worker and of every stage of every pipeline.
  std::string metrics_text() const;
  const std::string& id() const;
  size_t in_flight() const;

 private:
  std::unique_ptr<WorkerState> state_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Maintenance> maintenance_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace aiw::worker
