/*
 * aiw plugin ABI: the C boundary between the aiw host and a stage plugin.
 *
 * Plugins are built by other people, with other flags or compilers, so only C types and
 * opaque handles cross this boundary: no STL type, no exception, no allocation freed on
 * the other side. Errors are values. Both tables start with struct_size and the ABI
 * version so either side can tell what the other was built against.
 *
 * Most authors never touch this file: the header-only C++ SDK in <aiw/plugin.h> turns it
 * into "subclass aiw::Stage and register it with one macro".
 *
 * Versioning: a change that breaks existing plugins bumps AIW_ABI_MAJOR; an addition at the
 * end of a table bumps AIW_ABI_MINOR. The host loads a plugin when the majors are equal and
 * the plugin's minor is not newer than the host's.
 *
 * History: 1.0 first release. 1.1 added, at the end of aiw_http_request, connect_timeout_ms
 * and the address policy (refuse private, loopback, link-local... addresses at connect time,
 * the SSRF guard for URLs that come from users); at the end of aiw_http_response, the refused
 * address; and the outcome AIW_HTTP_BLOCKED. The host reads the new request fields only when
 * struct_size covers them, so 1.0 plugins keep working unchanged. 1.2 added a promise, no
 * field: when a job's parameters are exactly the `with` text given to create(), invoke() gets
 * the very pointer create() got (see aiw_stage_type::invoke), so a plugin can tell them by
 * address instead of comparing the text on every call.
 */
#ifndef AIW_ABI_H_
#define AIW_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIW_ABI_MAJOR 1
#define AIW_ABI_MINOR 2

/* The one symbol a plugin exports. */
#define AIW_PLUGIN_ENTRY_NAME "aiw_plugin_v1"

/* One invocation of one stage for one job. Owned by the host; valid from invoke() until the
 * stage has completed it AND every http/timer callback it started has run. */
typedef struct aiw_call aiw_call;

typedef enum aiw_error_kind {
  /* Worth trying again later: timeouts, connection failures, 5xx, 429. */
  AIW_ERROR_RETRYABLE = 1,
  /* Trying again cannot help: bad input, 4xx, output that breaks its schema. */
  AIW_ERROR_PERMANENT = 2
} aiw_error_kind;

typedef enum aiw_log_level {
  AIW_LOG_DEBUG = 0,
  AIW_LOG_INFO = 1,
  AIW_LOG_WARN = 2,
  AIW_LOG_ERROR = 3
} aiw_log_level;

typedef struct aiw_http_header {
  const char* name;
  const char* value;
} aiw_http_header;

typedef struct aiw_http_request {
  uint32_t struct_size;   /* sizeof(aiw_http_request) */
  const char* method;     /* "GET", "POST", ... ; NULL means GET */
  const char* url;
  const aiw_http_header* headers;
  size_t header_count;
  const char* body;       /* may be NULL */
  size_t body_len;
  uint32_t timeout_ms;    /* 0: bounded only by the stage's timeout and the job's deadline */
  uint64_t max_response_bytes; /* 0: the host default (16 MiB); larger bodies fail the request */

  /* ---- since ABI 1.1: read by the host only when struct_size covers them ---- */
  uint32_t connect_timeout_ms; /* 0: curl's default; bounds DNS + TCP + TLS of each connection */
  /* AIW_HTTP_ADDRESS_ANY, or AIW_HTTP_ADDRESS_PUBLIC_ONLY: the host checks every address it is
   * about to connect to (after DNS, per connection, so a DNS answer cannot be swapped between
   * check and use) and refuses loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
   * link-local (169.254/16, fe80::/10), multicast, unspecified, carrier-grade NAT (100.64/10)
   * and the cloud metadata addresses, with outcome AIW_HTTP_BLOCKED. Such a request never
   * reuses a pooled connection and ignores proxy settings (a proxy's address would be checked
   * in place of the target's). */
  uint32_t address_policy;
  /* Networks exempt from the policy, as "address/prefix" or a bare address ("127.0.0.0/8",
   * "fd00::/8", "10.1.2.3"). A malformed entry fails the request with AIW_HTTP_BAD_REQUEST. */
  const char* const* allowed_networks;
  size_t allowed_network_count;
} aiw_http_request;

#define AIW_HTTP_ADDRESS_ANY 0u
#define AIW_HTTP_ADDRESS_PUBLIC_ONLY 1u

typedef enum aiw_http_outcome {
  AIW_HTTP_OK = 0,          /* a response arrived (any status code) */
  AIW_HTTP_TIMEOUT = 1,     /* the request's own timeout fired */
  AIW_HTTP_CONNECT = 2,     /* DNS, connect, TLS or transfer failure */
  AIW_HTTP_TOO_LARGE = 3,   /* the body exceeded max_response_bytes */
  AIW_HTTP_CANCELLED = 4,   /* the call ended (timeout, cancel, deadline) before the response */
  AIW_HTTP_BAD_REQUEST = 5, /* the request itself was malformed (no url, bad method) */
  AIW_HTTP_BLOCKED = 6      /* since 1.1: the address policy refused every address of the host */
} aiw_http_outcome;

typedef struct aiw_http_response {
  uint32_t struct_size;   /* sizeof(aiw_http_response) */
  aiw_http_outcome outcome;
  int status;             /* HTTP status code; 0 unless outcome == AIW_HTTP_OK */
  const char* error;      /* a sentence when outcome != AIW_HTTP_OK, else "" */
  const aiw_http_header* headers; /* response headers, names lower-cased */
  size_t header_count;
  const char* body;
  size_t body_len;
  double total_seconds;   /* wall time of the exchange */

  /* ---- since ABI 1.1: check struct_size before reading ---- */
  /* With AIW_HTTP_BLOCKED: the refused address ("10.0.0.1", "::1") and what it is
   * ("a private address", "the cloud metadata address"); otherwise "". */
  const char* blocked_address;
  const char* blocked_reason;
} aiw_http_response;

/* Called exactly once per aiw_host_api.call_http, on the host's I/O thread. The response and
 * everything it points to is valid only during the callback. Keep it short: no blocking. */
typedef void (*aiw_http_callback)(void* user, aiw_call* call, const aiw_http_response* response);

/* Called exactly once per aiw_host_api.call_after; cancelled != 0 when the call ended first. */
typedef void (*aiw_timer_callback)(void* user, aiw_call* call, int cancelled);

/* What the host offers a plugin. Valid for the life of the process. */
typedef struct aiw_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;

  void (*log)(aiw_log_level level, const char* message);

  /* Ends the call with an output (JSON text). Exactly one of call_complete / call_fail counts;
   * later ones are ignored and logged. */
  void (*call_complete)(aiw_call* call, const char* output_json, size_t output_len);
  /* Ends the call with an error. retry_after_ms >= 0 asks the queue to wait that long (429). */
  void (*call_fail)(aiw_call* call, aiw_error_kind kind, const char* message,
                    int64_t retry_after_ms);

  /* The job this call belongs to; NUL-terminated, valid for the call's life. */
  const char* (*call_job_id)(const aiw_call* call);
  /* Non-zero once the call was ended by timeout, cancel or deadline: stop early. */
  int (*call_cancelled)(const aiw_call* call);
  /* Milliseconds left before the stage's timeout or the job's deadline, whichever is first. */
  int64_t (*call_remaining_ms)(const aiw_call* call);

  /* Starts an HTTP exchange on the host's event loop (never blocks). Ending the call aborts
   * it; the callback still runs, with outcome AIW_HTTP_CANCELLED. */
  void (*call_http)(aiw_call* call, const aiw_http_request* request, aiw_http_callback callback,
                    void* user);
  /* Runs callback after delay_ms on the host's event loop, without holding a thread. */
  void (*call_after)(aiw_call* call, uint64_t delay_ms, aiw_timer_callback callback, void* user);
} aiw_host_api;

/* One stage type a plugin provides. */
typedef struct aiw_stage_type {
  uint32_t struct_size;
  const char* name;          /* "plugin.stage", unique across all loaded plugins */
  const char* version;       /* semantic version of this stage type */
  const char* description;   /* one sentence for `aiw plugins` */
  const char* params_schema; /* JSON Schema (JSON text) of the stage's `with` parameters */
  const char* output_schema; /* JSON Schema of its output, or NULL */

  /* Makes the instance for one stage of one pipeline, from its `with` block as written in the
   * YAML (references still unresolved). Returns NULL and writes a sentence to error on failure. */
  void* (*create)(const char* config_json, size_t config_len, char* error, size_t error_cap);
  void (*destroy)(void* instance);

  /* Runs the stage for one job with its `with` resolved for that job. Must not block on I/O:
   * end the call through call_complete / call_fail now, or later from an http/timer callback.
   * May be called concurrently from several threads.
   * Since 1.2 (a host whose abi_minor >= 2): when the resolved parameters are exactly the text
   * create() got, params_json is the same pointer, with the same length; the host keeps that
   * text alive and unchanged until destroy(). Parameters at another address may still hold
   * the same text. */
  void (*invoke)(void* instance, aiw_call* call, const char* params_json, size_t params_len);
} aiw_stage_type;

/* What a plugin offers the host. Must stay valid until the plugin is unloaded. */
typedef struct aiw_plugin_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  const char* name;
  const char* version;
  size_t stage_type_count;
  const aiw_stage_type* const* stage_types;
  /* Set when the plugin could not initialise; the host refuses it with this sentence. */
  const char* init_error;
} aiw_plugin_api;

/* The entry point: `const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api* host)`.
 * Returning NULL is a refusal. */
typedef const aiw_plugin_api* (*aiw_plugin_entry_fn)(const aiw_host_api* host);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AIW_ABI_H_ */
