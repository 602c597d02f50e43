#include "gateway/fallback.h"

#include <aiw/json.h>

#include "gateway/enqueue_answers.h"
#include "obs/log.h"
#include "queue/cache_key.h"
#include "worker/outcome.h"

namespace aiw::gateway {
namespace {

std::string quote(const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(text);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Writes the outcome like a worker would (fenced on the gateway's id), then answers.
void finish(Gateway::Impl& g, queue::JobOutcome outcome, const std::string& type, Reply reply) {
  g.db->post(
      [&g, outcome, type, reply](queue::JobStore& store) {
        std::vector<queue::JobOutcome> one = {outcome};
        store.write_outcomes(one);
        g.monitor->release(outcome.id);
        g.metrics.accepted(type, true);
        if (outcome.kind == queue::JobOutcome::Kind::kCompleted) {
          reply.json(200, R"({"id":")" + outcome.id + R"(","status":"completed","run_by":"gateway","cache_hit":)" +
                              (outcome.cache_hit ? "true" : "false") + R"(,"processing_time_ms":)" +
                              std::to_string(outcome.processing_ms) + R"(,"result":)" + outcome.result_json + "}");
        } else {
          reply.json(502, R"({"id":")" + outcome.id + R"(","status":"failed","run_by":"gateway","error":{"code":"job_failed","message":)" +
                              quote(outcome.error) + "}}");
        }
      },
      [&g, id = outcome.id, reply](const std::string& reason) {
        g.monitor->release(id);  // the reaper returns the row once the gateway stops beating it
        reply.unavailable(reason);
      });
}

void start_run(Gateway::Impl& g, const EnqueueRequest& request, const std::string& cached_result,
               const std::string& cache_key, const worker::Pipeline* pipeline, Reply reply) {
  g.enqueuer->submit(request, [&g, request, cached_result, cache_key, pipeline, reply](EnqueueResult r) {
    if (answer_not_stored(g, r, request.user_id, reply)) return;
    g.monitor->hold(r.id);
    queue::JobOutcome outcome;
    outcome.id = r.id;
    outcome.attempt = 1;
    if (!cached_result.empty()) {
      outcome.kind = queue::JobOutcome::Kind::kCompleted;
      outcome.result_json = cached_result;
      outcome.cache_hit = true;
      return finish(g, std::move(outcome), request.type, reply);
    }
    engine::JobRequest job;
    job.id = r.id;
    job.input_json = request.input_json;
    job.user_id = request.user_id;
    job.deadline = std::chrono::milliseconds(g.config.worker_timeout_ms);
    const int64_t start = obs::monotonic_ns();
    const int64_t ttl = pipeline->cache_ttl_seconds;
    job.on_done = [&g, outcome, start, cache_key, ttl, type = request.type, reply](engine::JobResult&& result) mutable {
      outcome.processing_ms = (obs::monotonic_ns() - start) / 1000000;
      outcome.timings_json = worker::timings_json(result);
      if (result.status == engine::JobResult::Status::kCompleted) {
        outcome.kind = queue::JobOutcome::Kind::kCompleted;
        outcome.result_json = std::move(result.result_json);
        outcome.cache_key = cache_key;
        outcome.cache_ttl_seconds = ttl;
      } else {
        // The caller is waiting: no retry here; the client may POST .../retry.
        outcome.kind = queue::JobOutcome::Kind::kFailed;
        outcome.error = result.error;
      }
      finish(g, std::move(outcome), type, reply);
    };
    pipeline->engine->submit(std::move(job));
  });
}

}  // namespace

void run_in_process(Gateway::Impl& g, EnqueueRequest request, Reply reply) {
  const worker::Pipeline* pipeline = g.pipelines.find(request.type);
  request.max_attempts = 1;
  request.status = "processing";
  request.worker_id = g.id;
  request.run_by = "gateway";
  if (!pipeline->cached) return start_run(g, request, "", "", pipeline, std::move(reply));
  auto key = queue::cache_key(request.type, pipeline->version, request.input_json);
  std::string k = key ? *key : "";
  g.db->post(
      [&g, request, k, pipeline, reply](queue::JobStore& store) {
        std::vector<std::string> keys = {k};
        auto hits = store.cache_lookup(keys);
        start_run(g, request, hits.empty() ? "" : hits[0].response_json, k, pipeline, reply);
      },
      reply.on_unavailable());
}

}  // namespace aiw::gateway
