#include "engine/call.h"

#include "engine/engine_core.h"
#include "engine/job.h"
#include "engine/stage_node.h"
#include "obs/clock.h"
#include "obs/log.h"
#include "obs/stage_metrics.h"

#include <algorithm>
#include <cstddef>
#include <limits>

void aiw_call::hold_job() {
  job->retain();
  holds_job = true;
}

void aiw_call::release_job(aiw::engine::Job* job) { job->release(); }

aiw_call::Pending& aiw_call::pending_state() {
  Pending* current = pending.load(std::memory_order_acquire);
  if (current != nullptr) return *current;
  auto* made = new Pending;
  if (pending.compare_exchange_strong(current, made)) return *made;  // seq_cst: see ended()
  delete made;  // another thread made it first
  return *current;
}

namespace aiw::engine {
namespace {

net::IoLoop& loop_of(aiw_call* call) { return *call->job->core()->loop; }

// Every callback the loop will run for a call (HTTP answer, timer, timeout) holds the graph's
// wait count from registration until it has run, so that wait_idle() and the engine's
// destructor wait for it: the callback reaches the stage node and the plugin's instance.
tbb::flow::graph& graph_of(aiw_call* call) { return call->job->core()->graph; }

// Drops the callback's reference to the call, then its hold on the graph: last, because once
// the graph is idle the engine may be torn down.
void release_after_callback(aiw_call* call) {
  tbb::flow::graph& graph = graph_of(call);
  call->release();
  graph.release_wait();
}

// Runs a plugin's HTTP or timer callback; counts its CPU time for the stage when that is
// measured (Engine::account_stage_cpu).
template <typename Callback>
void run_plugin_callback(aiw_call* call, Callback&& callback) {
  obs::StageMetrics& metrics = call->node->metrics();
  if (!metrics.account_cpu) return callback();
  const int64_t start = obs::thread_cpu_ns();
  callback();
  metrics.cpu_ns.add(static_cast<uint64_t>(obs::thread_cpu_ns() - start));
}

void log_second_end(aiw_call* call, int previous_state, bool from_plugin) {
  const std::string& stage = call->node->spec().id;
  const std::string& job = call->job->request().id;
  if (previous_state == aiw_call::kEndedByPlugin && from_plugin) {
    obs::log(obs::LogLevel::kWarn,
             "a stage ended its call twice; the second end was ignored (a plugin bug)",
             {{"stage", stage}, {"job", job}});
  } else {
    // The usual race: a timeout or cancel ended the call just before the plugin did.
    obs::log(obs::LogLevel::kDebug, "a stage ended its call after it had been ended; ignored",
             {{"stage", stage}, {"job", job}});
  }
}

// Takes what a callback the loop will run for this call needs (a reference to the call and a
// hold on the graph, released by release_after_callback) and marks the call as having pending
// work. Call with the call's pending lock held (pending_state() published the state before it
// was locked). True when the call has already ended: the caller then answers
// "cancelled" at once instead of starting anything.
bool begin_op(aiw_call* call) {
  call->retain();
  graph_of(call).reserve_wait();
  return call->ended();
}

void erase_op(aiw_call* call, uint64_t token) {
  aiw_call::Pending& pending = *call->pending.load(std::memory_order_acquire);
  std::lock_guard lock(pending.mu);
  auto& ops = pending.ops;
  auto it = std::find_if(ops.begin(), ops.end(), [&](const auto& op) { return op.token == token; });
  if (it != ops.end()) ops.erase(it);
}

// Cancels the timeout and every HTTP exchange and timer of a call that just ended. Out of
// line: a call that started nothing (the common CPU case) never comes here.
[[gnu::noinline]] void abort_pending(aiw_call* call) {
  std::vector<aiw_call::PendingOp> ops;
  net::IoLoop::TimerId timeout = 0;
  {
    aiw_call::Pending& pending = *call->pending.load(std::memory_order_acquire);
    std::lock_guard lock(pending.mu);
    ops.swap(pending.ops);
    timeout = pending.timeout_timer;
    pending.timeout_timer = 0;
  }
  net::IoLoop& loop = loop_of(call);
  if (timeout != 0 && loop.cancel_timer(timeout)) release_after_callback(call);  // the timer's
  for (const auto& op : ops) {
    if (op.is_http) {
      // Its callback runs with AIW_HTTP_CANCELLED and releases. An id of 0 means the request
      // is still being started: call_http sees the call ended and cancels it itself.
      if (op.id != 0) loop.cancel_http(op.id);
    } else if (loop.cancel_timer(op.id)) {
      loop.post([op, call] {
        op.timer_cb(op.user, call, 1);
        release_after_callback(call);
      });
    }
  }
}

}  // namespace

namespace {
// What every end does first: wins the call's one end (false, logged, when it had already ended)
// and aborts what the call started.
bool claim_end(aiw_call* call, int ended_state, bool from_plugin) {
  int expected = aiw_call::kOpen;
  if (!call->state.compare_exchange_strong(expected, ended_state)) {
    log_second_end(call, expected, from_plugin);
    return false;
  }
  if (call->pending.load() != nullptr) abort_pending(call);  // seq_cst: see pending_state()
  return true;
}
}  // namespace

bool end_call(aiw_call* call, CallOutcome&& outcome) {
  int ended = outcome.from_plugin ? aiw_call::kEndedByPlugin : aiw_call::kEndedByHost;
  if (!claim_end(call, ended, outcome.from_plugin)) return false;
  call->node->on_call_end(call, std::move(outcome));
  call->release();  // the "until ended" reference
  return true;
}

bool complete_call(aiw_call* call, std::string_view output_json) {
  if (!claim_end(call, aiw_call::kEndedByPlugin, true)) return false;
  call->node->on_call_ok(call, output_json);
  call->release();  // the "until ended" reference
  return true;
}

void arm_call_timeout(aiw_call* call) {
  if (call->deadline_ns == 0) return;
  aiw_call::Pending& pending = call->pending_state();
  std::lock_guard lock(pending.mu);
  if (call->ended()) return;
  call->retain();
  graph_of(call).reserve_wait();
  auto delay = std::chrono::nanoseconds(std::max<int64_t>(0, call->deadline_ns - now_ns()));
  pending.timeout_timer = loop_of(call).add_timer(
      std::chrono::ceil<std::chrono::milliseconds>(delay), [call] {
        {
          aiw_call::Pending& state = *call->pending.load(std::memory_order_acquire);
          std::lock_guard inner(state.mu);
          state.timeout_timer = 0;
        }
        CallOutcome timeout;
        timeout.kind = CallOutcome::Kind::kError;
        timeout.error_kind = ErrorKind::kRetryable;
        timeout.message = call->deadline_is_job
                              ? "did not finish before the job's deadline"
                              : "did not finish within its timeout of " +
                                    std::to_string(call->node->spec().timeout_ms) + " ms";
        end_call(call, std::move(timeout));
        release_after_callback(call);
      });
}

namespace {
constexpr size_t kRequestSizeV1_0 = offsetof(aiw_http_request, max_response_bytes) + sizeof(uint64_t);

bool covers(const aiw_http_request* request, size_t offset, size_t size) {
  return request->struct_size >= offset + size;
}
}  // namespace

void call_http(aiw_call* call, const aiw_http_request* request, aiw_http_callback cb, void* user) {
  net::HttpRequest r;
  r.method = request->method ? request->method : "GET";
  r.url = request->url ? request->url : "";
  for (size_t i = 0; i < request->header_count; ++i) {
    const auto& h = request->headers[i];
    if (h.name && h.value) r.headers.emplace_back(h.name, h.value);
  }
  if (request->body) r.body.assign(request->body, request->body_len);
  r.timeout = std::chrono::milliseconds(request->timeout_ms);
  if (request->max_response_bytes > 0) r.max_response_bytes = request->max_response_bytes;

  // A 1.0 plugin's table ends at max_response_bytes; fields after that are read only when the
  // plugin's struct_size covers them, so older plugins keep working.
  if (request->struct_size < kRequestSizeV1_0) r.url.clear();  // -> a BAD_REQUEST answer
  if (covers(request, offsetof(aiw_http_request, connect_timeout_ms), sizeof(uint32_t))) {
    r.connect_timeout = std::chrono::milliseconds(request->connect_timeout_ms);
  }
  if (covers(request, offsetof(aiw_http_request, allowed_network_count), sizeof(size_t))) {
    r.address_policy.public_only = request->address_policy == AIW_HTTP_ADDRESS_PUBLIC_ONLY;
    for (size_t i = 0; i < request->allowed_network_count; ++i) {
      if (request->allowed_networks[i]) r.address_policy.allowed.emplace_back(request->allowed_networks[i]);
    }
  }

  net::IoLoop& loop = loop_of(call);
  uint64_t token = 0;
  aiw_call::Pending& pending = call->pending_state();
  {
    std::lock_guard lock(pending.mu);
    if (begin_op(call)) {
      loop.post([call, cb, user] {
        aiw_http_response resp{};
        resp.struct_size = sizeof resp;
        resp.outcome = AIW_HTTP_CANCELLED;
        resp.error = "the call had already ended when the request was made";
        resp.body = "";
        resp.blocked_address = "";
        resp.blocked_reason = "";
        cb(user, call, &resp);
        release_after_callback(call);
      });
      return;
    }
    token = ++pending.next_token;
    pending.ops.push_back({true, 0, token, nullptr, user});  // its id comes once it started
  }
  // Started without holding the call's lock: the loop may answer at once (after stop()).
  uint64_t id = loop.http(std::move(r), [call, cb, user, token](net::HttpResponse&& response) {
    erase_op(call, token);
    std::vector<aiw_http_header> headers;
    headers.reserve(response.headers.size());
    for (const auto& [name, value] : response.headers) headers.push_back({name.c_str(), value.c_str()});
    aiw_http_response resp{};
    resp.struct_size = sizeof resp;
    resp.outcome = response.outcome;
    resp.status = response.status;
    resp.error = response.error.c_str();
    resp.headers = headers.data();
    resp.header_count = headers.size();
    resp.body = response.body.data();
    resp.body_len = response.body.size();
    resp.total_seconds = response.total_seconds;
    resp.blocked_address = response.blocked.address.c_str();
    resp.blocked_reason = response.blocked.reason.c_str();
    run_plugin_callback(call, [&] { cb(user, call, &resp); });
    release_after_callback(call);
  });
  bool abort_now = false;
  {
    std::lock_guard lock(pending.mu);
    auto& ops = pending.ops;
    auto it = std::find_if(ops.begin(), ops.end(), [&](const auto& op) { return op.token == token; });
    if (it != ops.end()) it->id = id;
    else abort_now = call->ended();  // the call ended while the request was starting
  }
  if (abort_now) loop.cancel_http(id);  // a no-op when it already finished
}

void call_after(aiw_call* call, uint64_t delay_ms, aiw_timer_callback cb, void* user) {
  net::IoLoop& loop = loop_of(call);
  aiw_call::Pending& pending = call->pending_state();
  std::lock_guard lock(pending.mu);
  if (begin_op(call)) {
    loop.post([call, cb, user] {
      cb(user, call, 1);
      release_after_callback(call);
    });
    return;
  }
  uint64_t token = ++pending.next_token;
  uint64_t id = loop.add_timer(std::chrono::milliseconds(delay_ms), [call, cb, user, token] {
    erase_op(call, token);
    run_plugin_callback(call, [&] { cb(user, call, call->ended() ? 1 : 0); });
    release_after_callback(call);
  });
  pending.ops.push_back({false, id, token, cb, user});
}

}  // namespace aiw::engine
