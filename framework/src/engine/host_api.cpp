// The aiw_host_api table: thin C functions that delegate to the engine and never let an
// exception cross back into the plugin.
#include "engine/host_api.h"

#include "engine/call.h"
#include "engine/job.h"
#include "obs/log.h"

#include <limits>
#include <string>

namespace aiw::engine {
namespace {

template <typename Fn>
void guarded(const char* what, Fn&& fn) noexcept {
  try {
    fn();
  } catch (const std::exception& e) {
    obs::log(obs::LogLevel::kError, std::string(what) + " failed inside the host: " + e.what());
  } catch (...) {
    obs::log(obs::LogLevel::kError, std::string(what) + " failed inside the host");
  }
}

void host_log(aiw_log_level level, const char* message) {
  guarded("log", [&] {
    obs::LogLevel l = obs::LogLevel::kInfo;
    switch (level) {
      case AIW_LOG_DEBUG: l = obs::LogLevel::kDebug; break;
      case AIW_LOG_INFO: l = obs::LogLevel::kInfo; break;
      case AIW_LOG_WARN: l = obs::LogLevel::kWarn; break;
      case AIW_LOG_ERROR: l = obs::LogLevel::kError; break;
    }
    obs::log(l, message ? message : "", {{"source", "plugin"}});
  });
}

void host_complete(aiw_call* call, const char* output, size_t len) {
  guarded("call_complete", [&] {
    complete_call(call, output && len > 0 ? std::string_view(output, len) : std::string_view("null"));
  });
}

void host_fail(aiw_call* call, aiw_error_kind kind, const char* message, int64_t retry_after_ms) {
  guarded("call_fail", [&] {
    CallOutcome o;
    o.kind = CallOutcome::Kind::kError;
    o.error_kind = kind == AIW_ERROR_RETRYABLE ? ErrorKind::kRetryable : ErrorKind::kPermanent;
    o.message = message && *message ? message : "the stage failed without saying why";
    o.retry_after_ms = retry_after_ms;
    o.from_plugin = true;
    end_call(call, std::move(o));
  });
}

const char* host_job_id(const aiw_call* call) { return call->job->request().id.c_str(); }

int host_cancelled(const aiw_call* call) { return call->ended() ? 1 : 0; }

int64_t host_remaining_ms(const aiw_call* call) {
  if (call->deadline_ns == 0) return std::numeric_limits<int32_t>::max();
  int64_t left = (call->deadline_ns - now_ns()) / 1000000;
  return left > 0 ? left : 0;
}

void host_http(aiw_call* call, const aiw_http_request* request, aiw_http_callback cb, void* user) {
  guarded("call_http", [&] { call_http(call, request, cb, user); });
}

void host_after(aiw_call* call, uint64_t delay_ms, aiw_timer_callback cb, void* user) {
  guarded("call_after", [&] { call_after(call, delay_ms, cb, user); });
}

const aiw_host_api kHostApi = {
    sizeof(aiw_host_api), AIW_ABI_MAJOR, AIW_ABI_MINOR, &host_log,
    &host_complete,       &host_fail,    &host_job_id,  &host_cancelled,
    &host_remaining_ms,   &host_http,    &host_after,
};

}  // namespace

const aiw_host_api* host_api() { return &kHostApi; }

}  // namespace aiw::engine
