// aiw C++ plugin SDK (header-only): what a stage author writes against.
//
// A stage is a class with a static description and a run() that ends its Call, now (CPU
// work) or later from an HTTP or timer callback (I/O work). Register it with one macro and
// name the plugin once per .so:
//
//   #include <aiw/plugin.h>
//
//   class Greet : public aiw::Stage {
//    public:
//     static constexpr aiw::StageInfo kInfo{
//         "demo.greet", "1.0.0", "Says hello to ${input.name}.",
//         R"({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]})",
//         R"({"type":"object"})"};
//     void run(aiw::Call call, const aiw::Json& params) override {
//       call.complete(R"({"greeting":"hello )" + std::string(params["name"].GetString()) + "\"}");
//     }
//   };
//   AIW_REGISTER_STAGE(Greet);
//   AIW_PLUGIN("demo", "1.0.0");
//
// In a pipeline:  - { id: hi, uses: demo.greet, with: { name: "${input.name}" } }
//
// Rules the framework relies on:
// - run() never blocks on I/O or sleeps: use call.http() and call.after(); they hold no thread.
// - End every call exactly once (complete or fail_*). Extra ends are ignored and logged.
// - Exceptions are caught at the boundary: from the constructor they refuse the pipeline, from
//   run() they fail the job permanently naming the stage. Prefer fail_permanent() with a sentence.
// - The framework times, counts and limits every stage: authors write no metrics.
#ifndef AIW_PLUGIN_H_
#define AIW_PLUGIN_H_

#include <aiw/abi.h>
#include <aiw/json.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace aiw {

// The static description every stage class provides as `static constexpr StageInfo kInfo`.
struct StageInfo {
  const char* name;           // "plugin.stage"
  const char* version;        // "1.0.0"
  const char* description;    // one sentence
  const char* params_schema;  // JSON Schema of `with`
  const char* output_schema;  // JSON Schema of the output, or nullptr
};

namespace sdk {
// The host table of this plugin; set by the entry point before any stage is created.
inline const aiw_host_api*& host() {
  static const aiw_host_api* h = nullptr;
  return h;
}
}  // namespace sdk

inline void log(aiw_log_level level, const std::string& message) {
  if (sdk::host()) sdk::host()->log(level, message.c_str());
}

// An HTTP request; see aiw_http_request for the meaning of each field.
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{0};
  uint64_t max_response_bytes = 0;
  std::chrono::milliseconds connect_timeout{0};  // since ABI 1.1
  // Since ABI 1.1: refuse non-public addresses at connect time (the SSRF guard for URLs that
  // come from users), except inside allowed_networks ("127.0.0.0/8"). See aiw_http_request.
  bool public_addresses_only = false;
  std::vector<std::string> allowed_networks;
};

// A view of a response, valid only inside the callback.
struct HttpResponse {
  aiw_http_outcome outcome;
  int status;
  std::string_view error;
  std::string_view body;
  const aiw_http_header* headers;
  size_t header_count;
  // With AIW_HTTP_BLOCKED: the refused address and what it is ("a private address").
  std::string_view blocked_address;
  std::string_view blocked_reason;

  bool ok() const { return outcome == AIW_HTTP_OK && status >= 200 && status < 300; }
  // The value of a response header (names are lower-case), or empty.
  std::string_view header(std::string_view lower_name) const {
    for (size_t i = 0; i < header_count; ++i)
      if (lower_name == headers[i].name) return headers[i].value;
    return {};
  }
};

// One invocation of a stage for one job: a cheap handle to copy into callbacks.
class Call {
 public:
  explicit Call(aiw_call* raw) : raw_(raw) {}

  std::string_view job_id() const { return sdk::host()->call_job_id(raw_); }
  bool cancelled() const { return sdk::host()->call_cancelled(raw_) != 0; }
  std::chrono::milliseconds remaining() const {
    return std::chrono::milliseconds(sdk::host()->call_remaining_ms(raw_));
  }

  void complete(std::string_view output_json) const {
    sdk::host()->call_complete(raw_, output_json.data(), output_json.size());
  }
  void complete(const Json& output) const { complete(to_string(output)); }
  void fail_retryable(const std::string& message,
                      std::chrono::milliseconds retry_after = std::chrono::milliseconds(-1)) const {
    sdk::host()->call_fail(raw_, AIW_ERROR_RETRYABLE, message.c_str(), retry_after.count());
  }
  void fail_permanent(const std::string& message) const {
    sdk::host()->call_fail(raw_, AIW_ERROR_PERMANENT, message.c_str(), -1);
  }

  // Starts an HTTP exchange; on_response runs exactly once on the host's I/O thread.
  using HttpHandler = std::function<void(Call, const HttpResponse&)>;
  void http(const HttpRequest& request, HttpHandler on_response) const {
    std::vector<aiw_http_header> headers;
    headers.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers) headers.push_back({name.c_str(), value.c_str()});
    aiw_http_request raw{};
    raw.struct_size = sizeof raw;
    raw.method = request.method.c_str();
    raw.url = request.url.c_str();
    raw.headers = headers.data();
    raw.header_count = headers.size();
    raw.body = request.body.data();
    raw.body_len = request.body.size();
    raw.timeout_ms = static_cast<uint32_t>(request.timeout.count());
    raw.max_response_bytes = request.max_response_bytes;
    raw.connect_timeout_ms = static_cast<uint32_t>(request.connect_timeout.count());
    std::vector<const char*> networks;
    networks.reserve(request.allowed_networks.size());
    for (const auto& n : request.allowed_networks) networks.push_back(n.c_str());
    raw.address_policy =
        request.public_addresses_only ? AIW_HTTP_ADDRESS_PUBLIC_ONLY : AIW_HTTP_ADDRESS_ANY;
    raw.allowed_networks = networks.data();
    raw.allowed_network_count = networks.size();
    auto* handler = new HttpHandler(std::move(on_response));
    sdk::host()->call_http(raw_, &raw, &Call::http_trampoline, handler);
  }

  // Runs on_timer after delay on the host's I/O thread; cancelled is true when the call ended.
  using TimerHandler = std::function<void(Call, bool cancelled)>;
  void after(std::chrono::milliseconds delay, TimerHandler on_timer) const {
    auto* handler = new TimerHandler(std::move(on_timer));
    sdk::host()->call_after(raw_, static_cast<uint64_t>(delay.count()), &Call::timer_trampoline,
                            handler);
  }

  aiw_call* raw() const { return raw_; }

 private:
  static void http_trampoline(void* user, aiw_call* call, const aiw_http_response* r) {
    std::unique_ptr<HttpHandler> handler(static_cast<HttpHandler*>(user));
    HttpResponse response{r->outcome,  r->status,       r->error ? r->error : "",
                          {r->body, r->body_len}, r->headers, r->header_count, {}, {}};
    if (r->struct_size >= offsetof(aiw_http_response, blocked_reason) + sizeof(const char*)) {
      if (r->blocked_address) response.blocked_address = r->blocked_address;
      if (r->blocked_reason) response.blocked_reason = r->blocked_reason;
    }
    guard(call, [&] { (*handler)(Call(call), response); });
  }
  static void timer_trampoline(void* user, aiw_call* call, int cancelled) {
    std::unique_ptr<TimerHandler> handler(static_cast<TimerHandler*>(user));
    guard(call, [&] { (*handler)(Call(call), cancelled != 0); });
  }

 public:
  // Runs fn; an exception ends the call as a permanent error instead of crossing the ABI.
  template <typename Fn>
  static void guard(aiw_call* call, Fn&& fn) noexcept {
    try {
      fn();
    } catch (const std::exception& e) {
      sdk::host()->call_fail(call, AIW_ERROR_PERMANENT,
                             (std::string("stage threw an exception: ") + e.what()).c_str(), -1);
    } catch (...) {
      sdk::host()->call_fail(call, AIW_ERROR_PERMANENT, "stage threw a non-standard exception", -1);
    }
  }

 private:
  aiw_call* raw_;
};

// Base class of every stage. One instance per stage of a pipeline, shared by all its jobs:
// run() may be called from several threads at once, so keep per-job state in the callbacks.
// A subclass may take `const aiw::Json& config` (the `with` block as written) in its
// constructor, or have a default constructor.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual void run(Call call, const Json& params) = 0;
};

namespace sdk {

inline std::vector<const aiw_stage_type*>& registered_stage_types() {
  static std::vector<const aiw_stage_type*> types;
  return types;
}

inline void write_error(char* out, size_t cap, const std::string& message) {
  if (cap == 0) return;
  std::snprintf(out, cap, "%s", message.c_str());
}

// What the host's instance pointer points at: the stage and its `with` block as written.
// When a stage's parameters hold no ${...} reference, every job passes exactly that text, so
// the parsed config is reused instead of parsing the same JSON once per job.
struct StageHolder {
  std::unique_ptr<Stage> stage;
  std::string config_text;
  Json config;
  // create()'s own pointer when the host promises to pass it again for that same text (ABI
  // 1.2), else null: then such parameters are known by address, with no text compare.
  const char* host_config = nullptr;
  size_t host_config_len = 0;

  bool is_config(const char* params_json, size_t len) const {
    if (params_json == host_config && len == host_config_len) return true;
    return std::string_view(params_json, len) == config_text;
  }
};

template <typename T>
struct StageAdapter {
  static void* create(const char* config_json, size_t config_len, char* error, size_t cap) noexcept {
    try {
      auto holder = std::make_unique<StageHolder>();
      holder->config_text.assign(config_json, config_len);
      if (host() != nullptr && host()->abi_minor >= 2 && config_json != nullptr) {
        holder->host_config = config_json;
        holder->host_config_len = config_len;
      }
      if (!parse_json(holder->config_text, holder->config)) {
        write_error(error, cap, "the stage's parameters are not valid JSON");
        return nullptr;
      }
      if constexpr (std::is_constructible_v<T, const Json&>) {
        holder->stage = std::make_unique<T>(holder->config);
      } else {
        holder->stage = std::make_unique<T>();
      }
      return holder.release();
    } catch (const std::exception& e) {
      write_error(error, cap, std::string("the stage's constructor threw: ") + e.what());
    } catch (...) {
      write_error(error, cap, "the stage's constructor threw a non-standard exception");
    }
    return nullptr;
  }
  static void destroy(void* instance) noexcept { delete static_cast<StageHolder*>(instance); }
  static void invoke(void* instance, aiw_call* call, const char* params_json, size_t len) noexcept {
    auto* holder = static_cast<StageHolder*>(instance);
    if (holder->is_config(params_json, len)) {
      // The common case, kept free of the Json a job's own parameters need.
      Call::guard(call, [&] { holder->stage->run(Call(call), holder->config); });
      return;
    }
    invoke_with_own_params(holder, call, std::string_view(params_json, len));
  }
  // Parameters that hold a reference, resolved for this job: parsed for this call.
  [[gnu::noinline]] static void invoke_with_own_params(StageHolder* holder, aiw_call* call,
                                                       std::string_view params_text) noexcept {
    Call::guard(call, [&] {
      Json params;
      if (!parse_json(params_text, params)) {
        Call(call).fail_permanent("the stage's resolved parameters are not valid JSON");
        return;
      }
      holder->stage->run(Call(call), params);
    });
  }
  static const aiw_stage_type* describe() {
    static const aiw_stage_type type{sizeof(aiw_stage_type), T::kInfo.name, T::kInfo.version,
                                     T::kInfo.description,   T::kInfo.params_schema,
                                     T::kInfo.output_schema, &create, &destroy, &invoke};
    return &type;
  }
};

template <typename T>
struct StageRegistrar {
  StageRegistrar() { registered_stage_types().push_back(StageAdapter<T>::describe()); }
};

inline const aiw_plugin_api* plugin_entry(const aiw_host_api* host_api, const char* name,
                                          const char* version) {
  static aiw_plugin_api api{};
  api.struct_size = sizeof api;
  api.abi_major = AIW_ABI_MAJOR;
  api.abi_minor = AIW_ABI_MINOR;
  api.name = name;
  api.version = version;
  api.init_error = nullptr;
  if (host_api == nullptr || host_api->abi_major != AIW_ABI_MAJOR) {
    api.init_error = "the host's ABI major version differs from the plugin's";
    return &api;
  }
  host() = host_api;
  api.stage_type_count = registered_stage_types().size();
  api.stage_types = registered_stage_types().data();
  return &api;
}

}  // namespace sdk
}  // namespace aiw

#define AIW_SDK_CONCAT_INNER(a, b) a##b
#define AIW_SDK_CONCAT(a, b) AIW_SDK_CONCAT_INNER(a, b)

// Registers a Stage subclass (with a static constexpr aiw::StageInfo kInfo) in this plugin.
#define AIW_REGISTER_STAGE(StageClass)                                            \
  static const ::aiw::sdk::StageRegistrar<StageClass> AIW_SDK_CONCAT(           \
      aiw_stage_registrar_, __LINE__)

// Defines the plugin's entry point; once per .so.
#define AIW_PLUGIN(plugin_name, plugin_version)                                    \
  extern "C" __attribute__((visibility("default"))) const aiw_plugin_api*         \
  aiw_plugin_v1(const aiw_host_api* host) {                                        \
    return ::aiw::sdk::plugin_entry(host, plugin_name, plugin_version);            \
  }                                                                                \
  static_assert(true, "")

#endif  // AIW_PLUGIN_H_
