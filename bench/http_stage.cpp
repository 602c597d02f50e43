// An HTTP stage against a local server: jobs/s with C requests in flight, and the CPU each
// request costs aiw (the client side). The server (tests/fakes HttpServer, Beast) runs in a
// child process so its CPU is measured apart.
//
//   http_stage [--jobs N] [--concurrency C] [--server-threads T]
#include "cli/args.h"
#include "cli/bench_runner.h"
#include "cli/common.h"
#include "engine/engine.h"
#include "fakes/http_server.h"
#include "plugin/registry.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// 1,000 connections need more descriptors than the usual soft limit of 1,024.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// Forks the server; returns its pid and writes its port. The child serves until SIGTERM.
pid_t start_server(int threads, uint16_t& port) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    aiw::fakes::HttpServer server(threads);
    server.route("POST", "/echo", [](const aiw::fakes::Request& req, aiw::fakes::Response& res) {
      res.headers.emplace_back("Content-Type", "application/json");
      res.body = R"({"ok":true,"received":)" + std::to_string(req.body.size()) + "}";
    });
    uint16_t p = server.port();
    if (write(fds[1], &p, sizeof p) != sizeof p) _exit(1);
    close(fds[1]);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    sigwait(&set, &sig);
    server.stop();
    _exit(0);
  }
  close(fds[1]);
  if (read(fds[0], &port, sizeof port) != sizeof port) port = 0;
  close(fds[0]);
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  long long jobs = 50000, concurrency = 1000, server_threads = 1;
  try {
    aiw::cli::Args args({argv + 1, argv + argc}, {"jobs", "concurrency", "server-threads"}, {});
    jobs = args.positive("jobs", jobs);
    concurrency = args.positive("concurrency", concurrency);
    server_threads = args.positive("server-threads", server_threads);
  } catch (const aiw::cli::UsageError& e) {
    std::fprintf(stderr, "http_stage: %s\nusage: http_stage [--jobs N] [--concurrency C] "
                 "[--server-threads T]\n", e.what());
    return 2;
  }
  raise_fd_limit();
  uint16_t port = 0;
  pid_t server = start_server(static_cast<int>(server_threads), port);
  if (server <= 0 || port == 0) {
    std::fprintf(stderr, "http_stage: could not start the local server\n");
    return 1;
  }
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/echo";
  setenv("AIW_BENCH_URL", url.c_str(), 1);

  aiw::plugin::PluginRegistry registry;
  registry.load_default();
  auto engine =
      aiw::cli::load_engine(AIW_SOURCE_DIR "/bench/pipelines/http_local.yaml", registry, "http_stage");
  if (!engine) return 1;
  aiw::cli::BenchOptions options;
  options.jobs = jobs;
  options.concurrency = concurrency;
  auto report = aiw::cli::run_bench(*engine, options);

  kill(server, SIGTERM);
  int status = 0;
  rusage server_usage{};
  wait4(server, &status, 0, &server_usage);
  double server_cpu = static_cast<double>(server_usage.ru_utime.tv_sec + server_usage.ru_stime.tv_sec) +
                      static_cast<double>(server_usage.ru_utime.tv_usec + server_usage.ru_stime.tv_usec) / 1e6;

  aiw::cli::print_bench_report(*engine, report, stdout);
  double n = static_cast<double>(report.jobs);
  std::printf("\n| jobs | in flight | jobs/s | aiw CPU us/request | server CPU us/request | "
              "aiw threads | aiw peak RSS MB |\n|---:|---:|---:|---:|---:|---:|---:|\n");
  std::printf("| %lld | %lld | %.0f | %.1f | %.1f | %ld | %.1f |\n", report.jobs, concurrency,
              n / report.wall_seconds, report.cpu_seconds * 1e6 / n, server_cpu * 1e6 / n,
              report.threads_peak, static_cast<double>(report.peak_rss_kb) / 1024.0);
  return report.failed == 0 ? 0 : 1;
}
