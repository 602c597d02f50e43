// Engine overhead: the 5-stage no-op pipeline (bench/pipelines/noop5.yaml) through the same
// driver as `aiw bench`, against a hand-written oneTBB chain of five function_nodes carrying a
// heap-allocated job, with the same number of jobs in flight (the measure), and two
// more references: the chain with JSON jobs, and the five steps in one task (the floor of a
// design that, like the engine, runs a chain in one task). Rounds alternate between the
// variants so that machine noise hits all alike; the best and the median round of each are
// compared.
//
//   engine_overhead [--jobs N] [--concurrency C] [--rounds R] [--threads T]
#include "cli/args.h"
#include "cli/bench_runner.h"
#include "cli/common.h"
#include "engine/engine.h"
#include "pipeline/loader.h"
#include "plugin/registry.h"

#include <aiw/json.h>

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

// Every variant drives its jobs as `aiw bench` does: job n belongs to slot n % concurrency, and
// each job's end submits its slot's next one (n + concurrency), so no counter is shared
// between the cores in any of them.
struct RawJob {
  long long n;
  std::string id;
  int stages_done = 0;
};

// Starts the first `concurrency` jobs (each job's end submits its slot's next one) and times
// the graph until every job is done, in seconds.
double drive(tbb::flow::graph& g, long long jobs, long long concurrency,
             const std::function<void(long long)>& submit) {
  auto start = std::chrono::steady_clock::now();
  for (long long n = 0; n < std::min(concurrency, jobs); ++n) submit(n);
  g.wait_for_all();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Five function_nodes in a chain; a sink keeps `concurrency` jobs in flight.
double run_raw_chain(long long jobs, long long concurrency) {
  using namespace tbb::flow;
  graph g;
  std::vector<std::unique_ptr<function_node<RawJob*, RawJob*>>> nodes;
  for (int i = 0; i < 5; ++i)
    nodes.push_back(std::make_unique<function_node<RawJob*, RawJob*>>(g, unlimited, [](RawJob* j) {
      ++j->stages_done;
      return j;
    }));
  for (int i = 0; i < 4; ++i) make_edge(*nodes[i], *nodes[i + 1]);
  std::function<void(long long)> submit;
  function_node<RawJob*> sink(g, unlimited, [&](RawJob* j) {
    long long next = j->n + concurrency;
    delete j;
    submit(next);
    return continue_msg();
  });
  make_edge(*nodes[4], sink);
  submit = [&](long long n) {
    if (n < jobs) nodes[0]->try_put(new RawJob{n, "raw-" + std::to_string(n)});
  };
  return drive(g, jobs, concurrency, submit);
}

// The floor of any design that runs a job's stages as one oneTBB task, as the engine runs a
// chain: one function_node whose body makes the five steps (through a pointer, so that they
// stay calls), then ends the job and submits the next. On two cores every task still adds to
// and takes from the graph's one wait count, a cache line both cores write.
void raw_step(RawJob* j) { ++j->stages_done; }
void (*volatile g_step)(RawJob*) = raw_step;

double run_one_task_chain(long long jobs, long long concurrency) {
  using namespace tbb::flow;
  graph g;
  std::function<void(long long)> submit;
  function_node<RawJob*> node(g, unlimited, [&](RawJob* j) {
    for (int i = 0; i < 5; ++i) g_step(j);
    long long next = j->n + concurrency;
    delete j;
    submit(next);
    return continue_msg();
  });
  submit = [&](long long n) {
    if (n < jobs) node.try_put(new RawJob{n, "raw-" + std::to_string(n)});
  };
  return drive(g, jobs, concurrency, submit);
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
  std::vector<std::unique_ptr<function_node<JsonJob*, JsonJob*>>> nodes;
  for (int i = 0; i < 5; ++i)
    nodes.push_back(std::make_unique<function_node<JsonJob*, JsonJob*>>(
        g, unlimited, [i](JsonJob* j) {
          j->outputs[i] = "{}";
          return j;
        }));
  for (int i = 0; i < 4; ++i) make_edge(*nodes[i], *nodes[i + 1]);
  std::function<void(long long)> submit;
  function_node<JsonJob*> sink(g, unlimited, [&](JsonJob* j) {
    auto done = std::move(j->on_done);
    std::string result = std::move(j->outputs[4]);
    delete j;
    done(std::move(result));
    return continue_msg();
  });
  make_edge(*nodes[4], sink);
  submit = [&](long long n) {
    if (n >= jobs) return;
    auto* j = new JsonJob{"json-" + std::to_string(n), {}, {},
                          [&, n](std::string&&) { submit(n + concurrency); }};
    j->input.Parse("{}");
    nodes[0]->try_put(j);
  };
  return drive(g, jobs, concurrency, submit);
}

// The middle round (the mean of the two middle ones for an even count).
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Variant {
  const char* name;
  std::vector<double> seconds;  // one per round
};

}  // namespace

int main(int argc, char** argv) {
  long long jobs = 200000, concurrency = 256, rounds = 3, threads = 0;
  try {
    aiw::cli::Args args({argv + 1, argv + argc}, {"jobs", "concurrency", "rounds", "threads"}, {});
    jobs = args.positive("jobs", jobs);
    concurrency = args.positive("concurrency", concurrency);
    rounds = args.positive("rounds", rounds);
    threads = args.positive("threads", 0);  // 0: TBB's default, every core
  } catch (const aiw::cli::UsageError& e) {
    std::fprintf(stderr, "engine_overhead: %s\nusage: engine_overhead [--jobs N] "
                 "[--concurrency C] [--rounds R] [--threads T]\n", e.what());
    return 2;
  }
  // --threads 1 takes the second core out: what is left is the work per job, without the
  // cache-line traffic between cores that makes the raw chain's wall time swing from round to
  // round on this machine.
  std::unique_ptr<tbb::global_control> parallelism;
  if (threads > 0)
    parallelism = std::make_unique<tbb::global_control>(
        tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  aiw::plugin::PluginRegistry registry;
  registry.load_default();
  const std::string pipeline_file = AIW_SOURCE_DIR "/bench/pipelines/noop5.yaml";
  if (!aiw::cli::load_pipeline(pipeline_file, registry)) return 1;
  Variant raw{"raw oneTBB chain, 5 function_nodes", {}};
  Variant json{"raw oneTBB chain, 5 function_nodes, JSON job", {}};
  Variant one_task{"raw oneTBB, the 5 steps in one task", {}};
  Variant engine_run{"aiw engine, 5 testkit.noop stages", {}};
  for (long long r = 0; r < rounds; ++r) {
    raw.seconds.push_back(run_raw_chain(jobs, concurrency));
    json.seconds.push_back(run_json_chain(jobs, concurrency));
    one_task.seconds.push_back(run_one_task_chain(jobs, concurrency));
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
    engine_run.seconds.push_back(report.wall_seconds);
  }
  auto us = [&](double seconds) { return seconds * 1e6 / static_cast<double>(jobs); };
  std::printf("engine overhead: %lld jobs, %lld in flight, %lld rounds each (alternating), %s\n\n",
              jobs, concurrency, rounds,
              threads > 0 ? (std::to_string(threads) + " TBB thread(s)").c_str() : "all cores");
  std::printf("| variant | best us/job | median us/job | jobs/s (best) |\n|---|---:|---:|---:|\n");
  for (const Variant* v : {&raw, &json, &one_task, &engine_run}) {
    double best = *std::min_element(v->seconds.begin(), v->seconds.end());
    std::printf("| %s | %.2f | %.2f | %.0f |\n", v->name, us(best), us(median(v->seconds)),
                static_cast<double>(jobs) / best);
  }
  // Best-of-rounds favours whichever program had one lucky round (the raw chain swings most);
  // the median is the typical round. Both are printed; neither is picked for the reader.
  for (const Variant* base : {&raw, &json, &one_task}) {
    double best_ratio = *std::min_element(engine_run.seconds.begin(), engine_run.seconds.end()) /
                        *std::min_element(base->seconds.begin(), base->seconds.end());
    double median_ratio = median(engine_run.seconds) / median(base->seconds);
    double per_stage = (us(median(engine_run.seconds)) - us(median(base->seconds))) / 5.0;
    std::printf("\nratio engine/%s: best %.2f, median %.2f   engine overhead per stage (median): "
                "%.2f us",
                base == &raw ? "raw" : base == &json ? "raw JSON job" : "raw one task",
                best_ratio, median_ratio,
                per_stage);
  }
  std::printf("\n");
  return 0;
}
