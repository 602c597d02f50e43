// GatewayTest: the real `aiw gateway` (and, when a test wants one, `aiw worker`) against the
// test's PostgreSQL, with tokens minted for the test's secret and a small blocking HTTP client.
#pragma once

#include <curl/curl.h>

#include <string>
#include <vector>

#include "../queue/worker_test_support.h"
#include "gateway/jwt.h"

#include <aiw/json.h>

namespace aiw::testing {

inline constexpr const char* kSecret = "test-secret-with-at-least-32-characters!!";

struct Http {
  long status = 0;
  std::string body;
  std::string headers;  // raw response headers
  std::string header(const std::string& name) const {
    std::string lower_headers = headers, lower_name = name;
    for (auto& c : lower_headers) c = static_cast<char>(std::tolower(c));
    for (auto& c : lower_name) c = static_cast<char>(std::tolower(c));
    size_t at = lower_headers.find("\n" + lower_name + ":");
    if (at == std::string::npos) return "";
    size_t start = at + lower_name.size() + 2;
    size_t end = headers.find('\r', start);
    std::string v = headers.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
};

inline size_t append_to(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

inline Http request(const std::string& method, const std::string& url, const std::string& token = "",
                    const std::string& body = "", const std::string& content_type = "application/json",
                    long timeout_ms = 20000, const std::vector<std::string>& extra_headers = {}) {
  Http reply;
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  for (const auto& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
  if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  if (!content_type.empty()) headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_to);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append_to);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

inline int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A Supabase user access token for sub (extra: more claims, e.g. R"("app_metadata":{"plan":"premium"})").
inline std::string user_token(const std::string& sub, const std::string& extra = "", int64_t exp_offset = 3600,
                              const std::string& secret = kSecret) {
  std::string claims = R"({"sub":")" + sub + R"(","role":"authenticated","aud":"authenticated","iat":)" +
                       std::to_string(unix_now()) + R"(,"exp":)" + std::to_string(unix_now() + exp_offset) +
                       (extra.empty() ? "" : "," + extra) + "}";
  return gateway::sign_hs256_for_tests(claims, secret);
}

inline std::string service_token() {
  return gateway::sign_hs256_for_tests(
      R"({"iss":"supabase","role":"service_role","iat":)" + std::to_string(unix_now()) + R"(,"exp":)" +
          std::to_string(unix_now() + 3600) + "}",
      kSecret);
}

inline constexpr const char* kEchoPipeline = R"(
name: echo
version: "1"
input:
  type: object
  required: [x]
  additionalProperties: false
  properties:
    x: { type: integer, minimum: 0 }
stages:
  - { id: say, uses: testkit.echo, with: { value: "${input.x}" } }
)";

inline constexpr const char* kSlowPipeline = R"(
name: slow
version: "1"
input: { type: object, properties: { ms: { type: integer } } }
defaults: { timeout: 60s }
stages:
  - { id: wait, uses: testkit.sleep, with: { ms: "${input.ms}", output: { slept: true } } }
)";

class GatewayTest : public WorkerTest {
 protected:
  std::map<std::string, std::string> gateway_env(std::map<std::string, std::string> overrides = {}) {
    auto env = worker_env();
    env["SUPABASE_JWT_SECRET"] = kSecret;
    env["GATEWAY_ASYNC_DEFAULT"] = "true";
    env["RATE_LIMIT_PER_MINUTE"] = "100000";
    for (auto& [k, v] : overrides) env[k] = v;
    return env;
  }

  // Starts the gateway; base_ is its URL.
  std::unique_ptr<BackgroundProcess> start_gateway(std::map<std::string, std::string> overrides = {}) {
    std::string log = (dir_.path() / ("gateway-" + std::to_string(gateways_started_++) + ".log")).string();
    auto gw = std::make_unique<BackgroundProcess>(std::vector<std::string>{AIW_BINARY, "gateway"},
                                                  gateway_env(std::move(overrides)), log);
    if (!gw->wait_for_log("\"msg\":\"gateway listening\"", std::chrono::seconds(30))) {
      ADD_FAILURE() << "the gateway did not start:\n" << gw->log();
      return gw;
    }
    std::smatch m;
    std::string text = gw->log();
    std::regex_search(text, m, std::regex(R"re("msg":"gateway listening"[^\n]*"port":"(\d+)")re"));
    base_ = "http://127.0.0.1:" + std::string(m[1]);
    return gw;
  }

  // Waits until the gateway sees a live worker for type (its monitor ticks every second).
  void wait_live_worker(const std::string& type) {
    ASSERT_TRUE(eventually([&] {
      return request("GET", base_ + "/v1/admin/flags", service_token()).body.find(
                 R"("type":")" + type + R"(","async_enabled":true,"canary_percent":100,"source":"default","live_worker":true)") !=
             std::string::npos;
    })) << request("GET", base_ + "/v1/admin/flags", service_token()).body;
  }

  static std::string field(const std::string& json, const std::string& name) {
    Json doc;
    if (!parse_json(json, doc)) return "";
    const JsonValue* v = find_member(doc, name);
    if (v == nullptr) return "";
    return v->IsString() ? v->GetString() : to_string(*v);
  }

  std::string base_;
  int gateways_started_ = 0;
};

}  // namespace aiw::testing
