// aiw bench FILE --jobs N --concurrency C: throughput and latency per stage of a pipeline,
// in this process (no database).
#include "cli/args.h"
#include "cli/bench_runner.h"
#include "cli/commands.h"
#include "cli/common.h"

#include <aiw/json.h>

#include <unistd.h>

#include <cstdio>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw bench FILE [--jobs N] [--concurrency C] [--input JSON|@file] [--user ID]\n"
    "                 [--stage-cpu] [--json]\n"
    "Runs N jobs (default 1000) of the pipeline in FILE, C at a time (default 100), in this\n"
    "process, then prints jobs/s and p50/p95/p99 latency per stage with its errors. A progress\n"
    "bar shows on a terminal. --user is every job's owner (${job.user_id}; default none, read as\n"
    "null). --stage-cpu also measures each stage's own CPU per call (two system calls per\n"
    "call: leave it off when measuring the engine's overhead) and the rate one core could run\n"
    "the stage at. --json prints the report as one JSON object instead.\n";
}

int cmd_bench(const CommandArgs& argv) {
  BenchOptions options;
  std::string file;
  bool json = false, stage_cpu = false;
  try {
    Args args(argv, {"jobs", "concurrency", "input", "user"}, {"help", "json", "stage-cpu"});
    if (args.has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args.positionals().size() != 1) throw UsageError("name exactly one pipeline file");
    file = args.positionals()[0];
    options.jobs = args.positive("jobs", 1000);
    options.concurrency = args.positive("concurrency", 100);
    if (auto v = args.value("input")) options.input_json = read_input_arg(*v);
    if (auto v = args.value("user")) options.user_id = *v;
    Json probe;
    if (!parse_json(options.input_json, probe)) throw UsageError("--input is not valid JSON");
    json = args.has("json");
    stage_cpu = args.has("stage-cpu");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "aiw bench: %s\n%s", e.what(), kUsage);
    return 2;
  }
  auto registry = load_plugins();
  auto engine = load_engine(file, *registry, "aiw bench");
  if (!engine) return 1;
  if (stage_cpu) engine->account_stage_cpu();
  options.progress = !json && isatty(STDERR_FILENO);
  BenchReport report = run_bench(*engine, options);
  if (json) std::printf("%s\n", bench_report_json(*engine, report).c_str());
  else print_bench_report(*engine, report, stdout);
  return report.failed == 0 ? 0 : 1;
}

}  // namespace aiw::cli
