// WorkerTest: runs the real `aiw worker` binary against the test's database, with pipelines
// written to a temporary folder, and short intervals so recovery paths run in test time.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <regex>
#include <string>

#include "queue_test_support.h"
#include "support/background_process.h"
#include "support/temp_dir.h"

namespace aiw::testing {

struct HttpReply {
  long status = 0;
  std::string body;
};

// A blocking GET (tests only).
inline HttpReply http_get(const std::string& url) {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t n, void* out) {
                     static_cast<std::string*>(out)->append(data, size * n);
                     return size * n;
                   });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_cleanup(curl);
  return reply;
}

// A job type that waits input.ms on a timer: running long enough to cancel, kill or drain.
inline constexpr const char* kSlow = R"(
name: slow
version: "1"
defaults: { timeout: 120s }
stages:
  - { id: wait, uses: testkit.sleep, with: { ms: "${input.ms}", output: { slept: true } } }
)";

class WorkerTest : public QueueTest {
 protected:
  void SetUp() override {
    QueueTest::SetUp();
    std::filesystem::create_directories(dir_.path() / "pipelines");
  }

  // Writes pipelines/<name>.yaml.
  void pipeline(const std::string& name, const std::string& yaml) {
    dir_.write("pipelines/" + name + ".yaml", yaml);
  }

  std::map<std::string, std::string> worker_env(std::map<std::string, std::string> overrides = {}) {
    std::map<std::string, std::string> env = {
        {"DATABASE_URL", url_},
        {"PORT", "0"},
        {"PIPELINES_DIR", (dir_.path() / "pipelines").string()},
        {"WORKER_CONCURRENCY", "50"},
        {"WORKER_POLL_INTERVAL_MS", "200"},
        {"WORKER_HEARTBEAT_INTERVAL_MS", "100"},
        {"WORKER_LEASE_MS", "1000"},
        {"WORKER_RETRY_DELAY_MS", "100"},
        {"WORKER_DRAIN_TIMEOUT_MS", "10000"},
        {"LOG_LEVEL", "info"},
    };
    for (auto& [k, v] : overrides) env[k] = v;
    return env;
  }

  // Starts a worker and waits until it serves (its row is registered and HTTP listens).
  std::unique_ptr<BackgroundProcess> start_worker(std::map<std::string, std::string> overrides = {}) {
    std::string log = (dir_.path() / ("worker-" + std::to_string(workers_started_++) + ".log")).string();
    auto worker = std::make_unique<BackgroundProcess>(std::vector<std::string>{AIW_BINARY, "worker"},
                                                      worker_env(std::move(overrides)), log);
    if (!worker->wait_for_log("\"msg\":\"worker listening\"", std::chrono::seconds(30)))
      ADD_FAILURE() << "the worker did not start:\n" << worker->log();
    return worker;
  }

  // The HTTP port a worker logged.
  static int port_of(const BackgroundProcess& worker) {
    std::smatch m;
    std::string log = worker.log();
    if (std::regex_search(log, m, std::regex(R"re("msg":"worker listening"[^\n]*"port":"(\d+)")re")))
      return std::stoi(m[1]);
    return 0;
  }

  bool wait_status(const std::string& id, const std::string& status,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return eventually([&] { return status_of(id) == status; }, timeout);
  }

  std::string enqueue_one(const std::string& user, const std::string& type, const std::string& input = "{}",
                          int max_attempts = 3) {
    auto s = store("test-client");
    queue::NewJob j = job(user, type, input);
    j.max_attempts = max_attempts;
    return s->enqueue(std::span(&j, 1)).at(0);
  }

  void no_user_limit() {
    exec("alter database " + scalar("select current_database()") + " set aiw.max_active_jobs_per_user = 0");
  }

  TempDir dir_{"aiw-worker-test"};
  int workers_started_ = 0;
};

}  // namespace aiw::testing
