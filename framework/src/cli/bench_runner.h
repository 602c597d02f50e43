// BenchRunner: drives N jobs through an Engine with C in flight and measures them. Shared by
// `aiw bench` and the benchmarks in bench/ so both measure the same thing.
#pragma once

#include "engine/engine.h"

#include <cstdio>
#include <string>

namespace aiw::cli {

struct BenchOptions {
  long long jobs = 1000;
  long long concurrency = 100;
  std::string input_json = "{}";
  std::string user_id;  // every job's owner (${job.user_id}); empty: none
  bool progress = false;  // a progress bar on stderr (only makes sense on a terminal)
};

struct BenchReport {
  long long jobs = 0;
  long long completed = 0;
  long long failed = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;     // user + system of the whole process during the run
  long threads_peak = 0;      // highest thread count seen during the run
  long peak_rss_kb = 0;       // VmHWM
  std::string first_error;    // the first failed job's error, to show why
};

BenchReport run_bench(engine::Engine& engine, const BenchOptions& options);

// The summary line and a per-stage table: jobs/s, p50/p95/p99 ms, errors.
void print_bench_report(const engine::Engine& engine, const BenchReport& report, FILE* out);
// The same as one JSON object (for scripts and bench/).
std::string bench_report_json(const engine::Engine& engine, const BenchReport& report);

// The process's current thread count and peak RSS (kB), from /proc/self/status.
long current_threads();
long peak_rss_kb();

}  // namespace aiw::cli
