// IoLoop: the process's one event-loop thread for timers and HTTP (libcurl multi).
//
// Thousands of jobs can wait here on LLM calls or timers without holding a thread each: a
// stage starts the wait and returns; the loop calls back when the answer, the timeout or the
// cancel comes. Every method may be called from any thread. Callbacks run on the loop thread
// and must be short (hand heavy work to the flow graph).
#pragma once

#include <aiw/abi.h>

#include "net/address_policy.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aiw::net {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0: no own timeout
  uint64_t max_response_bytes = 16u << 20;
  std::chrono::milliseconds connect_timeout{0};  // 0: curl's default
  AddressPolicy address_policy;                  // default: any address
};

struct HttpResponse {
  aiw_http_outcome outcome = AIW_HTTP_OK;
  int status = 0;
  std::string error;  // a sentence when outcome != AIW_HTTP_OK
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  double total_seconds = 0;
  Refusal blocked;  // with AIW_HTTP_BLOCKED: the address the policy refused
};

class IoLoop {
 public:
  using TimerId = uint64_t;
  using RequestId = uint64_t;

  IoLoop();   // starts the loop thread
  ~IoLoop();  // stop()
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  // Runs fn on the loop thread after delay.
  TimerId add_timer(std::chrono::milliseconds delay, std::function<void()> fn);
  // True when the timer was still pending: its fn will never run.
  bool cancel_timer(TimerId id);

  // Starts an exchange; done runs exactly once on the loop thread (also on failure, cancel and
  // stop), with outcome saying which.
  RequestId http(HttpRequest request, std::function<void(HttpResponse&&)> done);
  // Aborts an exchange in flight: its done runs with AIW_HTTP_CANCELLED. No-op when finished.
  void cancel_http(RequestId id);

  // Runs fn on the loop thread as soon as possible.
  void post(std::function<void()> fn);

  // Ends in-flight requests as cancelled, drops pending timers, joins the thread. Idempotent.
  void stop();

  bool in_loop_thread() const;
  size_t requests_in_flight() const;

  // The process-wide loop used by the engine's host API.
  static IoLoop& shared();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aiw::net
