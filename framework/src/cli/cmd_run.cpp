// aiw run FILE --input JSON|@file: one job, in this process, no database. Prints the result
// JSON on stdout; --timings adds a per-stage table on stderr. Ctrl-C cancels the job.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/job_id.h"
#include "engine/engine.h"

#include <aiw/json.h>

#include <rapidjson/prettywriter.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw run FILE [--input JSON|@file] [--user ID] [--timings] [--deadline MS]\n"
    "Runs one job of the pipeline in FILE in this process (no database) and prints its result\n"
    "as JSON. --input is the job's input (default {}); @path reads it from a file. --user is\n"
    "the job's owner, what ${job.user_id} reads (default: none, which reads as null). --timings\n"
    "prints each stage's status and time on stderr. Exit 0 when the job completed, 1 when it\n"
    "failed or was cancelled (Ctrl-C), 2 on bad usage.\n";

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

void print_pretty(const std::string& json) {
  Json doc;
  if (!parse_json(json, doc)) {
    std::printf("%s\n", json.c_str());
    return;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  std::printf("%s\n", buffer.GetString());
}

void print_timings(const engine::JobResult& r) {
  std::fprintf(stderr, "%-20s %-9s %8s %10s %12s  %s\n", "stage", "status", "attempts",
               "start ms", "duration ms", "error");
  for (const auto& s : r.stages)
    std::fprintf(stderr, "%-20.*s %-9.*s %8d %10s %12s  %s\n", static_cast<int>(s.id.size()),
                 s.id.data(), static_cast<int>(s.status.size()), s.status.data(),
                 s.attempts, format_ms(static_cast<double>(s.start_ns)).c_str(),
                 format_ms(static_cast<double>(s.duration_ns)).c_str(), s.error.c_str());
  std::fprintf(stderr, "%-20s %-9s %8s %10s %12s\n", "total", engine::to_string(r.status), "", "",
               format_ms(static_cast<double>(r.duration_ns)).c_str());
}

}  // namespace

int cmd_run(const CommandArgs& argv) {
  std::string file, input = "{}", user_id;
  long long deadline_ms = 0;
  bool timings = false;
  try {
    Args args(argv, {"input", "deadline", "user"}, {"help", "timings"});
    if (args.has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args.positionals().size() != 1) throw UsageError("name exactly one pipeline file");
    file = args.positionals()[0];
    if (auto v = args.value("input")) input = read_input_arg(*v);
    deadline_ms = args.positive("deadline", 0);
    if (auto v = args.value("user")) user_id = *v;
    timings = args.has("timings");
    Json probe;
    if (!parse_json(input, probe))
      throw UsageError("--input is not valid JSON (error at character " +
                       std::to_string(probe.GetErrorOffset()) + "); pass a JSON object like "
                       "'{\"text\":\"hi\"}' or @file.json");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "aiw run: %s\n%s", e.what(), kUsage);
    return 2;
  }

  auto registry = load_plugins();
  auto loaded = load_engine(file, *registry, "aiw run");
  if (!loaded) return 1;
  engine::Engine& engine = *loaded;

  std::atomic<bool> done{false};
  engine::JobResult result;
  engine::JobRequest request;
  request.id = random_uuid();
  request.input_json = input;
  request.user_id = user_id;
  request.deadline = std::chrono::milliseconds(deadline_ms);
  request.on_done = [&](engine::JobResult&& r) {
    result = std::move(r);
    done.store(true);
  };
  std::signal(SIGINT, on_sigint);
  engine::JobHandle handle = engine.submit(std::move(request));
  // Ctrl-C cancels the job; the watcher exits once the job is done.
  std::thread watcher([&] {
    while (!done.load()) {
      if (g_interrupted.exchange(false)) handle.cancel("cancelled from the terminal (Ctrl-C)");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  engine.wait_idle();
  watcher.join();
  std::signal(SIGINT, SIG_DFL);

  if (timings) print_timings(result);
  if (result.status == engine::JobResult::Status::kCompleted) {
    print_pretty(result.result_json);
    return 0;
  }
  std::string where = result.failed_stage.empty() ? "" : " at stage '" + result.failed_stage + "'";
  std::fprintf(stderr, "aiw run: job %s%s (%s): %s\n", engine::to_string(result.status),
               where.c_str(), engine::to_string(result.error_kind), result.error.c_str());
  return 1;
}

}  // namespace aiw::cli
