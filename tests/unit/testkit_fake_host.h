// A host table for running stages synchronously in unit tests, without the engine: every call
// is a FakeCall that records how it ended, and timers and HTTP exchanges wait until the test
// fires or answers them.
#pragma once

#include <aiw/abi.h>

#include <string>
#include <utility>
#include <vector>

namespace aiw::testing {

struct FakeCall {
  int completes = 0;
  int fails = 0;
  std::string output;  // of the first complete
  aiw_error_kind kind = AIW_ERROR_PERMANENT;
  std::string error;
  int64_t retry_after_ms = -1;
  // A pending timer.
  aiw_timer_callback timer = nullptr;
  void* timer_user = nullptr;
  uint64_t timer_delay_ms = 0;
  // A pending HTTP exchange, with a copy of its request.
  aiw_http_callback http = nullptr;
  void* http_user = nullptr;
  std::string method, url, body;
  uint32_t timeout_ms = 0;
  std::vector<std::pair<std::string, std::string>> headers;

  aiw_call* raw() { return reinterpret_cast<aiw_call*>(this); }
  bool ended() const { return completes + fails > 0; }

  void fire_timer(bool cancelled) {
    auto cb = std::exchange(timer, nullptr);
    cb(timer_user, raw(), cancelled ? 1 : 0);
  }
  void answer(aiw_http_outcome outcome, int status, std::string response_body,
              std::vector<aiw_http_header> response_headers = {}, const char* error = "") {
    aiw_http_response r{sizeof r,
                        outcome,
                        status,
                        error,
                        response_headers.data(),
                        response_headers.size(),
                        response_body.data(),
                        response_body.size(),
                        0.01,
                        "",
                        ""};
    auto cb = std::exchange(http, nullptr);
    cb(http_user, raw(), &r);
  }
};

inline FakeCall& fake(aiw_call* call) { return *reinterpret_cast<FakeCall*>(call); }
inline const FakeCall& fake(const aiw_call* call) {
  return *reinterpret_cast<const FakeCall*>(call);
}

inline const aiw_host_api* fake_host() {
  static const aiw_host_api table{
      sizeof(aiw_host_api),
      AIW_ABI_MAJOR,
      AIW_ABI_MINOR,
      [](aiw_log_level, const char*) {},
      [](aiw_call* c, const char* out, size_t len) {
        if (fake(c).completes++ == 0 && fake(c).fails == 0) fake(c).output.assign(out, len);
      },
      [](aiw_call* c, aiw_error_kind kind, const char* message, int64_t retry_after_ms) {
        FakeCall& f = fake(c);
        if (f.fails++ == 0 && f.completes == 0) {
          f.kind = kind;
          f.error = message;
          f.retry_after_ms = retry_after_ms;
        }
      },
      [](const aiw_call*) { return "job-1"; },
      [](const aiw_call*) { return 0; },
      [](const aiw_call*) { return int64_t{1000}; },
      [](aiw_call* c, const aiw_http_request* r, aiw_http_callback cb, void* user) {
        FakeCall& f = fake(c);
        f.http = cb;
        f.http_user = user;
        f.method = r->method ? r->method : "GET";
        f.url = r->url;
        f.body.assign(r->body ? r->body : "", r->body_len);
        f.timeout_ms = r->timeout_ms;
        for (size_t i = 0; i < r->header_count; ++i)
          f.headers.emplace_back(r->headers[i].name, r->headers[i].value);
      },
      [](aiw_call* c, uint64_t delay_ms, aiw_timer_callback cb, void* user) {
        FakeCall& f = fake(c);
        f.timer = cb;
        f.timer_user = user;
        f.timer_delay_ms = delay_ms;
      }};
  return &table;
}

}  // namespace aiw::testing
