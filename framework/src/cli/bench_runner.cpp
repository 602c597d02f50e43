#include "cli/bench_runner.h"

#include "cli/common.h"
#include "cli/bench_job_ids.h"
#include "obs/sharded.h"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

namespace aiw::cli {
namespace {

long status_field(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  std::string prefix = std::string(key) + ":";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return std::atol(line.c_str() + prefix.size());
  return 0;
}

double cpu_seconds_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Driver {
  Driver(engine::Engine& e, const BenchOptions& o) : engine(e), options(o) {}
  engine::Engine& engine;
  const BenchOptions& options;
  const BenchJobIds ids{std::random_device{}()};
  // The input is JobRequest's default: nothing to copy into each request.
  const bool default_input = options.input_json == engine::JobRequest{}.input_json;
  // Counted in per-thread shards, so that the two cores do not pass one cache line back and
  // forth on each job (that was ~7 % of a no-op job's time in `perf`: the driver's cost, not
  // the engine's it is there to measure).
  obs::ShardedCounter finished;  // its cells are cache-line aligned already
  std::atomic<long long> failed{0};
  std::mutex error_mu;
  std::string first_error;

  // Job n belongs to slot n % concurrency; a slot runs its jobs one after another, each
  // submitted by the previous one's completion (a closed loop, like a load generator's virtual
  // user). The next job's number travels in the completion handler, so no counter is shared
  // between the cores: a shared one cost a cache-line transfer per job. So does the id's
  // buffer: the engine hands the finished job's id back (JobResult::id) and the next job of
  // the slot reuses it, so ids cost no allocation.
  void submit(long long n, std::string&& reused_id = {}) {
    if (n >= options.jobs) return;
    engine::JobRequest r;
    // Shaped like the queue's ids (uuids), so a pipeline that stores ${job.id} in a uuid
    // column (persist.row) runs here as in production; the run's random prefix keeps two runs
    // against one database from colliding.
    if (reused_id.size() == BenchJobIds::kLength) {
      r.id = std::move(reused_id);
      BenchJobIds::renumber(r.id, n);
    } else {
      r.id = ids.make(n);
    }
    if (!default_input) r.input_json = options.input_json;  // JobRequest's own is "{}"
    if (!options.user_id.empty()) r.user_id = options.user_id;  // most runs have no owner
    // The per-stage table comes from the stages' metrics; per-job timings would go unread.
    r.stage_timings = false;
    r.on_done = [this, n](engine::JobResult&& result) {
      if (result.status != engine::JobResult::Status::kCompleted) {
        if (failed.fetch_add(1) == 0) {
          std::lock_guard lock(error_mu);
          first_error = result.error;
        }
      }
      finished.add();
      submit(n + options.concurrency, std::move(result.id));  // keeps `concurrency` in flight
    };
    engine.post(std::move(r));  // never cancelled: no handle
  }
};

void draw_progress(long long done, long long total, double seconds) {
  constexpr int kWidth = 30;
  int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, ' ');
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::fprintf(stderr, "\r[%s] %lld/%lld jobs  %.0f jobs/s  %.1f s", bar.c_str(), done, total,
               rate, seconds);
  std::fflush(stderr);
}

}  // namespace

long current_threads() { return status_field("Threads"); }
long peak_rss_kb() { return status_field("VmHWM"); }

BenchReport run_bench(engine::Engine& engine, const BenchOptions& options) {
  Driver driver(engine, options);
  BenchReport report;
  report.jobs = options.jobs;
  std::atomic<bool> running{true};
  std::atomic<long> threads_peak{current_threads()};
  auto start = std::chrono::steady_clock::now();
  double cpu_start = cpu_seconds_now();
  // A sampler for the thread count and the progress bar; it sleeps, never a graph thread.
  std::mutex mu;
  std::condition_variable cv;
  std::thread sampler([&] {
    std::unique_lock lock(mu);
    while (running.load()) {
      long t = current_threads();
      if (t > threads_peak.load()) threads_peak.store(t);
      if (options.progress) {
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        draw_progress(static_cast<long long>(driver.finished.load()), options.jobs, s);
      }
      cv.wait_for(lock, std::chrono::milliseconds(100));
    }
  });
  long long first_wave = std::min(options.concurrency, options.jobs);
  for (long long slot = 0; slot < first_wave; ++slot) driver.submit(slot);
  engine.wait_idle();
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.cpu_seconds = cpu_seconds_now() - cpu_start;
  {
    std::lock_guard lock(mu);
    running.store(false);
  }
  cv.notify_all();
  sampler.join();
  if (options.progress) {
    draw_progress(static_cast<long long>(driver.finished.load()), options.jobs, report.wall_seconds);
    std::fprintf(stderr, "\n");
  }
  long t = current_threads();
  report.threads_peak = std::max(threads_peak.load(), t);
  report.peak_rss_kb = peak_rss_kb();
  report.failed = driver.failed.load();
  report.completed = static_cast<long long>(driver.finished.load()) - report.failed;
  report.first_error = driver.first_error;
  return report;
}

namespace {
// A stage's CPU per call (engine and I/O loop threads), when the engine measured it; else 0.
double cpu_ns_per_call(const obs::StageMetrics& m) {
  const uint64_t calls = m.started.load();
  return m.account_cpu && calls > 0 ? static_cast<double>(m.cpu_ns.load()) / static_cast<double>(calls) : 0;
}
}  // namespace

void print_bench_report(const engine::Engine& engine, const BenchReport& r, FILE* out) {
  double rate = r.wall_seconds > 0 ? static_cast<double>(r.completed + r.failed) / r.wall_seconds : 0;
  std::fprintf(out,
               "pipeline %s: %lld jobs (%lld completed, %lld failed) in %.3f s = %.0f jobs/s\n"
               "cpu %.3f s (%.2f us/job), threads peak %ld, peak RSS %.1f MB\n\n",
               engine.spec().name.c_str(), r.jobs, r.completed, r.failed, r.wall_seconds, rate,
               r.cpu_seconds, r.jobs > 0 ? r.cpu_seconds * 1e6 / static_cast<double>(r.jobs) : 0,
               r.threads_peak, static_cast<double>(r.peak_rss_kb) / 1024.0);
  // jobs/s is what the stage did in this run (in a pipeline, every stage keeps the pace of the
  // slowest); with --stage-cpu, "cpu us" is the stage's own CPU per call and max/s/core what
  // that cost allows one core: the stage's throughput on its own.
  std::fprintf(out, "%-16s %-20s %10s %10s %10s %10s %10s %11s %8s %8s\n", "stage", "type",
               "jobs/s", "p50 ms", "p95 ms", "p99 ms", "cpu us", "max/s/core", "errors", "retries");
  for (const auto& m : engine.stage_metrics()) {
    double ok = static_cast<double>(m->succeeded.load());
    const double cpu_ns = cpu_ns_per_call(*m);
    char cpu_us[32] = "-", per_core[32] = "-";
    if (cpu_ns > 0) {
      std::snprintf(cpu_us, sizeof cpu_us, "%.1f", cpu_ns / 1000.0);
      std::snprintf(per_core, sizeof per_core, "%.0f", 1e9 / cpu_ns);
    }
    std::fprintf(out, "%-16s %-20s %10.0f %10s %10s %10s %10s %11s %8llu %8llu\n", m->stage.c_str(),
                 m->stage_type.c_str(), r.wall_seconds > 0 ? ok / r.wall_seconds : 0,
                 format_ms(static_cast<double>(m->latency.quantile_ns(0.50))).c_str(),
                 format_ms(static_cast<double>(m->latency.quantile_ns(0.95))).c_str(),
                 format_ms(static_cast<double>(m->latency.quantile_ns(0.99))).c_str(), cpu_us,
                 per_core, static_cast<unsigned long long>(m->failed.load()),
                 static_cast<unsigned long long>(m->retried.load()));
  }
  if (!r.first_error.empty()) std::fprintf(out, "\nfirst error: %s\n", r.first_error.c_str());
}

std::string bench_report_json(const engine::Engine& engine, const BenchReport& r) {
  char head[512];
  std::snprintf(head, sizeof head,
                "{\"pipeline\":\"%s\",\"jobs\":%lld,\"completed\":%lld,\"failed\":%lld,"
                "\"wall_seconds\":%.6f,\"cpu_seconds\":%.6f,\"threads_peak\":%ld,"
                "\"peak_rss_kb\":%ld,\"stages\":[",
                engine.spec().name.c_str(), r.jobs, r.completed, r.failed, r.wall_seconds,
                r.cpu_seconds, r.threads_peak, r.peak_rss_kb);
  std::string out = head;
  bool first = true;
  for (const auto& m : engine.stage_metrics()) {
    char row[512];
    std::snprintf(row, sizeof row,
                  "%s{\"id\":\"%s\",\"type\":\"%s\",\"succeeded\":%llu,\"failed\":%llu,"
                  "\"p50_ns\":%lld,\"p95_ns\":%lld,\"p99_ns\":%lld,\"cpu_ns_per_call\":%.0f}",
                  first ? "" : ",", m->stage.c_str(), m->stage_type.c_str(),
                  static_cast<unsigned long long>(m->succeeded.load()),
                  static_cast<unsigned long long>(m->failed.load()),
                  static_cast<long long>(m->latency.quantile_ns(0.50)),
                  static_cast<long long>(m->latency.quantile_ns(0.95)),
                  static_cast<long long>(m->latency.quantile_ns(0.99)), cpu_ns_per_call(*m));
    out += row;
    first = false;
  }
  return out + "]}";
}

}  // namespace aiw::cli
