// DashboardTest: the real `aiw gateway` binary against the test's database (WorkerTest's
// PostgreSQL and pipelines folder), tokens minted with the test's secret, and a small HTTP
// client for the admin routes. Used by the alerts and browser tests of tests/dashboard.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include "../queue/worker_test_support.h"
#include "gateway/jwt.h"

namespace aiw::testing {

// Two job types served by testkit stages: enough for "counts by type" without AI services.
inline constexpr const char* kSofiaImage = R"(
name: sofia_image
version: "1"
stages:
  - { id: say, uses: testkit.echo, with: { value: "${input.x}" } }
)";
inline constexpr const char* kMealPlan = R"(
name: meal_plan
version: "1"
stages:
  - { id: say, uses: testkit.echo, with: { value: "${input.x}" } }
)";

class DashboardTest : public WorkerTest {
 protected:
  static constexpr const char* kSecret = "dashboard-test-secret-at-least-32-bytes-long";

  void SetUp() override {
    WorkerTest::SetUp();
    pipeline("sofia_image", kSofiaImage);
    pipeline("meal_plan", kMealPlan);
  }

  // Starts `aiw gateway` and waits for its "gateway listening" line; sets port_.
  std::unique_ptr<BackgroundProcess> start_gateway(std::map<std::string, std::string> overrides = {}) {
    std::map<std::string, std::string> env = {
        {"DATABASE_URL", url_},
        {"PORT", "0"},
        {"GATEWAY_HOST", "127.0.0.1"},
        {"SUPABASE_JWT_SECRET", kSecret},
        {"PIPELINES_DIR", (dir_.path() / "pipelines").string()},
        {"RATE_LIMIT_PER_MINUTE", "100000"},
        {"LOG_LEVEL", "info"},
    };
    for (auto& [k, v] : overrides) env[k] = v;
    std::string log = (dir_.path() / ("gateway-" + std::to_string(gateways_started_++) + ".log")).string();
    auto gateway = std::make_unique<BackgroundProcess>(std::vector<std::string>{AIW_BINARY, "gateway"}, env, log);
    if (!gateway->wait_for_log("\"msg\":\"gateway listening\"", std::chrono::seconds(30))) {
      ADD_FAILURE() << "the gateway did not start:\n" << gateway->log();
      return gateway;
    }
    std::smatch m;
    std::string text = gateway->log();
    if (std::regex_search(text, m, std::regex(R"re("msg":"gateway listening"[^\n]*"port":"(\d+)")re")))
      port_ = std::stoi(m[1]);
    EXPECT_GT(port_, 0) << text;
    return gateway;
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  static int64_t in_an_hour() { return static_cast<int64_t>(std::time(nullptr)) + 3600; }
  static std::string service_token() {
    return gateway::sign_hs256_for_tests(R"({"role":"service_role","exp":)" + std::to_string(in_an_hour()) + "}",
                                         kSecret);
  }
  static std::string user_token(const std::string& user_id) {
    return gateway::sign_hs256_for_tests(R"({"sub":")" + user_id +
                                             R"(","role":"authenticated","aud":"authenticated","exp":)" +
                                             std::to_string(in_an_hour()) + "}",
                                         kSecret);
  }

  // One request to the gateway (tests only, blocking).
  HttpReply request(const std::string& method, const std::string& path, const std::string& token = "",
                    const std::string& body = "", std::string* content_type = nullptr) {
    HttpReply reply;
    CURL* curl = curl_easy_init();
    std::string url = base_url() + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_slist* headers = nullptr;
    if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
    if (!body.empty()) {
      headers = curl_slist_append(headers, "Content-Type: application/json");
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                     +[](char* data, size_t size, size_t n, void* out) {
                       static_cast<std::string*>(out)->append(data, size * n);
                       return size * n;
                     });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    if (curl_easy_perform(curl) == CURLE_OK) {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
      char* type = nullptr;
      curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
      if (content_type != nullptr && type != nullptr) *content_type = type;
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return reply;
  }

  // A worker row as `aiw worker` writes it (JobStore::heartbeat).
  void beat_worker(const std::string& id, std::vector<std::string> types, const std::string& status = "running",
                   int64_t lease_ms = 600000) {
    queue::WorkerBeat beat;
    beat.worker_id = id;
    beat.host = "test-host";
    beat.pid = 4242;
    beat.types = std::move(types);
    beat.concurrency = 5;
    beat.status = status;
    beat.lease_ms = lease_ms;
    beat.version = "test";
    store(id)->heartbeat(beat, {});
  }

  int port_ = 0;
  int gateways_started_ = 0;
};

}  // namespace aiw::testing
