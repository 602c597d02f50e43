// queue_bench: aiw's PostgreSQL queue against graphile-worker, side by side on one PostgreSQL
// (default durability) that this program starts. See bench/README.md "Queue" and run.sh.
//
//   queue_bench [--jobs 100000] [--batch 1000] [--concurrency 1000] [--claim-batch 500]
//               [--samples 1000] [--interval-ms 20] [--poll-ms 100] [--produce-seconds 60]
//               [--produce-rate 25000]
//               [--graphile DIR] [--graphile-concurrency 24] [--graphile-local-queue 500]
//               [--graphile-batch-delay-ms 0] [--rounds 1]
//               [--setup-sql SQL]  (run on aiw's database after migrating: schema A/B tests)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "aiw_side.h"
#include "graphile_side.h"
#include "results.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace {

using namespace aiw::bench;

std::map<std::string, std::string> parse_args(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::cerr << "usage: queue_bench [--name value]... (see the comment at the top of "
                   "bench/queue/queue_bench.cpp)\n";
      std::exit(2);
    }
    args[a.substr(2)] = argv[++i];
  }
  return args;
}

std::string num(double v, int decimals = 0) {
  char s[64];
  std::snprintf(s, sizeof s, "%.*f", decimals, v);
  std::string out = s;
  if (decimals == 0)  // thousands separators
    for (int i = static_cast<int>(out.size()) - 3; i > (out[0] == '-' ? 1 : 0); i -= 3)
      out.insert(static_cast<size_t>(i), ",");
  return out;
}

void print_table(const std::vector<SideResult>& sides) {
  std::printf(
      "\n| round | queue | settings | enqueue jobs/s | drain jobs/s (whole) | drain jobs/s (10-90 "
      "%%) | pickup p50 ms | p95 | p99 | max |\n");
  std::printf("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t i = 0; i < sides.size(); ++i) {
    const SideResult& s = sides[i];
    std::printf("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.round, s.name.c_str(),
                s.settings.c_str(), num(s.drain.enqueue_per_s).c_str(),
                num(s.drain.drain_per_s).c_str(), num(s.drain.steady_per_s).c_str(),
                num(s.pickup.p50, 2).c_str(), num(s.pickup.p95, 2).c_str(),
                num(s.pickup.p99, 2).c_str(), num(s.pickup.max, 2).c_str());
  }
  bool header = false;
  for (size_t i = 0; i + 1 < sides.size(); ++i)
    if (sides[i].round == sides[i + 1].round && sides[i + 1].drain.drain_per_s > 0) {
      if (!header)
        std::printf(
            "\n| round | aiw / graphile, drain (whole) | aiw / graphile, drain (10-90 %%) "
            "|\n|---:|---:|---:|\n");
      header = true;
      std::printf("| %d | %s | %s |\n", sides[i].round,
                  num(sides[i].drain.drain_per_s / sides[i + 1].drain.drain_per_s, 2).c_str(),
                  num(sides[i].drain.steady_per_s / sides[i + 1].drain.steady_per_s, 2).c_str());
    }
  for (size_t i = 0; i < sides.size(); ++i) {
    const ProduceResult& p = sides[i].produce;
    if (p.seconds <= 0) continue;
    std::printf("\nConcurrent enqueue + drain (%s, round %d): %s s, offered %s jobs/s\n\n",
                sides[i].name.c_str(), sides[i].round, num(p.seconds).c_str(),
                num(p.offered_per_s).c_str());
    std::printf(
        "| enqueued jobs/s | completed jobs/s | completed jobs/s per 10 s window | max backlog | "
        "final backlog | max dead tuples | autovacuums |\n");
    std::printf("|---:|---:|---|---:|---:|---:|---:|\n");
    std::string windows;
    for (double w : p.completed_per_s_by_window) windows += (windows.empty() ? "" : ", ") + num(w);
    std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", num(p.enqueued_per_s).c_str(),
                num(p.completed_per_s).c_str(), windows.c_str(),
                num(static_cast<double>(p.max_backlog)).c_str(),
                num(static_cast<double>(p.final_backlog)).c_str(),
                num(static_cast<double>(p.max_dead_tuples)).c_str(),
                num(static_cast<double>(p.autovacuums)).c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) try {
  auto args = parse_args(argc, argv);
  auto get = [&](const std::string& name, long fallback) {
    auto it = args.find(name);
    return it == args.end() ? fallback : std::stol(it->second);
  };
  const int rounds = static_cast<int>(get("rounds", 1));
  std::string graphile_dir = args.count("graphile") ? args["graphile"] : "";

  aiw::testing::PostgresServer pg(
      aiw::testing::PostgresOptions{.durable = true, .max_connections = 300});
  pg.start();
  std::fprintf(stderr, "PostgreSQL (default durability) on port %u\n", pg.port());
  aiw::testing::TempDir dir{"aiw-queue-bench"};

  std::vector<SideResult> sides;
  for (int round = 1; round <= rounds; ++round) {
    std::string suffix = std::to_string(round);
    AiwOptions a;
    pg.execute("create database aiw_bench_" + suffix);
    a.url = pg.url("aiw_bench_" + suffix);
    a.aiw_binary = AIW_BINARY;
    a.plugin_dir = AIW_PLUGIN_DIR;
    a.dir = dir.path() / ("aiw-" + suffix);
    a.jobs = get("jobs", a.jobs);
    a.batch = static_cast<int>(get("batch", a.batch));
    a.concurrency = static_cast<int>(get("concurrency", a.concurrency));
    a.claim_batch = static_cast<int>(get("claim-batch", a.claim_batch));
    a.samples = static_cast<int>(get("samples", a.samples));
    a.interval_ms = static_cast<int>(get("interval-ms", a.interval_ms));
    a.produce_seconds = static_cast<int>(get("produce-seconds", a.produce_seconds));
    a.produce_rate = static_cast<int>(get("produce-rate", a.produce_rate));
    a.poll_ms = static_cast<int>(get("poll-ms", a.poll_ms));
    if (args.count("setup-sql")) a.setup_sql = args["setup-sql"];
    std::fprintf(stderr, "round %d: aiw...\n", round);
    sides.push_back(run_aiw(a));
    sides.back().round = round;
    if (graphile_dir.empty()) continue;
    GraphileOptions g;
    pg.execute("create database graphile_bench_" + suffix);
    g.url = pg.url("graphile_bench_" + suffix);
    g.script_dir = graphile_dir;
    g.jobs = a.jobs;
    g.batch = a.batch;
    g.samples = a.samples;
    g.interval_ms = a.interval_ms;
    g.poll_ms = a.poll_ms;
    g.concurrency = static_cast<int>(get("graphile-concurrency", g.concurrency));
    g.local_queue = static_cast<int>(get("graphile-local-queue", g.local_queue));
    g.complete_batch_delay_ms =
        static_cast<int>(get("graphile-batch-delay-ms", g.complete_batch_delay_ms));
    std::fprintf(stderr, "round %d: graphile-worker...\n", round);
    sides.push_back(run_graphile(g));
    sides.back().round = round;
  }
  print_table(sides);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "queue_bench: %s\n", e.what());
  return 1;
}
