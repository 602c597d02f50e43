// Engine overhead: the 5-stage no-op pipeline (bench/pipelines/noop5.yaml) through the same
// driver as `aiw bench`, against a hand-written oneTBB chain of five function_nodes carrying a
// heap-allocated job, with the same number of jobs in flight. Rounds alternate between the
// two so that machine noise hits both alike; the best round of each is compared.
//
//   engine_overhead [--jobs N] [--concurrency C] [--rounds R]
#include "cli/args.h"
#include "cli/bench_runner.h"
#include "cli/common.h"
#include "engine/engine.h"
#include "pipeline/loader.h"
#include "plugin/registry.h"

#include <aiw/json.h>

#include <oneapi/tbb/flow_graph.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

namespace {

struct RawJob {
  std::string id;
  int stages_done = 0;
};

// Five function_nodes in a chain; a sink keeps `concurrency` jobs in flight.
double run_raw_chain(long long jobs, long long concurrency) {
  using namespace tbb::flow;
  graph g;
  std::atomic<long long> submitted{0};
  std::vector<std::unique_ptr<function_node<RawJob*, RawJob*>>> nodes;
  for (int i = 0; i < 5; ++i)
    nodes.push_back(std::make_unique<function_node<RawJob*, RawJob*>>(g, unlimited, [](RawJob* j) {
      ++j->stages_done;
      return j;
    }));
  for (int i = 0; i < 4; ++i) make_edge(*nodes[i], *nodes[i + 1]);
  std::function<void()> submit_next;
  function_node<RawJob*> sink(g, unlimited, [&](RawJob* j) {
    delete j;
    submit_next();
    return continue_msg();
  });
  make_edge(*nodes[4], sink);
  submit_next = [&] {
    long long n = submitted.fetch_add(1);
    if (n < jobs) nodes[0]->try_put(new RawJob{"raw-" + std::to_string(n)});
  };
  auto start = std::chrono::steady_clock::now();
  for (long long i = 0; i < std::min(concurrency, jobs); ++i) submit_next();
  g.wait_for_all();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The same chain carrying what a hand-written JSON job needs: the input parsed, each step's
// output kept as JSON text, the last one handed to a completion callback. This separates the
// cost of JSON jobs from the cost of the framework around them.
struct JsonJob {
  std::string id;
  aiw::Json input;
  std::string outputs[5];
  std::function<void(std::string&&)> on_done;
};

double run_json_chain(long long jobs, long long concurrency) {
  using namespace tbb::flow;
  graph g;
  std::atomic<long long> submitted{0};
  std::vector<std::unique_ptr<function_node<JsonJob*, JsonJob*>>> nodes;
  for (int i = 0; i < 5; ++i)
    nodes.push_back(std::make_unique<function_node<JsonJob*, JsonJob*>>(
        g, unlimited, [i](JsonJob* j) {
          j->outputs[i] = "{}";
          return j;
        }));
  for (int i = 0; i < 4; ++i) make_edge(*nodes[i], *nodes[i + 1]);
  std::function<void()> submit_next;
  function_node<JsonJob*> sink(g, unlimited, [&](JsonJob* j) {
    auto done = std::move(j->on_done);
    std::string result = std::move(j->outputs[4]);
    delete j;
    done(std::move(result));
    return continue_msg();
  });
  make_edge(*nodes[4], sink);
  submit_next = [&] {
    long long n = submitted.fetch_add(1);
    if (n >= jobs) return;
    auto* j = new JsonJob{"json-" + std::to_string(n), {}, {}, [&](std::string&&) { submit_next(); }};
    j->input.Parse("{}");
    nodes[0]->try_put(j);
  };
  auto start = std::chrono::steady_clock::now();
  for (long long i = 0; i < std::min(concurrency, jobs); ++i) submit_next();
  g.wait_for_all();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  long long jobs = 200000, concurrency = 256, rounds = 3;
  try {
    aiw::cli::Args args({argv + 1, argv + argc}, {"jobs", "concurrency", "rounds"}, {});
    jobs = args.positive("jobs", jobs);
    concurrency = args.positive("concurrency", concurrency);
    rounds = args.positive("rounds", rounds);
  } catch (const aiw::cli::UsageError& e) {
    std::fprintf(stderr, "engine_overhead: %s\nusage: engine_overhead [--jobs N] "
                 "[--concurrency C] [--rounds R]\n", e.what());
    return 2;
  }
  aiw::plugin::PluginRegistry registry;
  registry.load_default();
  const std::string pipeline_file = AIW_SOURCE_DIR "/bench/pipelines/noop5.yaml";
  if (!aiw::cli::load_pipeline(pipeline_file, registry)) return 1;
  double best_raw = 1e9, best_json = 1e9, best_engine = 1e9;
  for (long long r = 0; r < rounds; ++r) {
    best_raw = std::min(best_raw, run_raw_chain(jobs, concurrency));
    best_json = std::min(best_json, run_json_chain(jobs, concurrency));
    auto engine = aiw::cli::load_engine(pipeline_file, registry, "engine_overhead");
    if (!engine) return 1;
    aiw::cli::BenchOptions options;
    options.jobs = jobs;
    options.concurrency = concurrency;
    auto report = aiw::cli::run_bench(*engine, options);
    if (report.failed > 0) {
      std::fprintf(stderr, "engine jobs failed: %s\n", report.first_error.c_str());
      return 1;
    }
    best_engine = std::min(best_engine, report.wall_seconds);
  }
  double raw_us = best_raw * 1e6 / static_cast<double>(jobs);
  double json_us = best_json * 1e6 / static_cast<double>(jobs);
  double engine_us = best_engine * 1e6 / static_cast<double>(jobs);
  std::printf("engine overhead: %lld jobs, %lld in flight, best of %lld rounds each\n\n", jobs,
              concurrency, rounds);
  std::printf("| variant | jobs/s | us/job |\n|---|---:|---:|\n");
  std::printf("| raw oneTBB chain, 5 function_nodes | %.0f | %.2f |\n", jobs / best_raw, raw_us);
  std::printf("| raw oneTBB chain, 5 function_nodes, JSON job | %.0f | %.2f |\n", jobs / best_json,
              json_us);
  std::printf("| aiw engine, 5 testkit.noop stages  | %.0f | %.2f |\n", jobs / best_engine,
              engine_us);
  std::printf("\nratio engine/raw: %.2f   engine overhead per stage: %.2f us\n",
              best_engine / best_raw, (engine_us - raw_us) / 5.0);
  std::printf("ratio engine/raw JSON job: %.2f   engine overhead per stage: %.2f us\n",
              best_engine / best_json, (engine_us - json_us) / 5.0);
  return 0;
}
