// HttpServer: the core's event-driven HTTP/1.1 server (aiw worker's /health and /metrics, the
// gateway's API).
//
// A few I/O threads (HttpServerOptions::io_threads, default 1) serve every connection; there is
// never a thread per connection, so a thousand idle keep-alive or Server-Sent-Events clients cost
// memory, not threads. Keep-alive is HTTP/1.1's default, `Connection: close` and HTTP/1.0 are
// honoured, and pipelined requests are answered in order (one at a time per connection: the next
// request is parsed once the previous response is written).
//
// Handlers run on an I/O thread and MUST NOT block: they answer at once, or hand slow work (a
// database write) elsewhere and answer later from any thread through their HttpResponder:
//
//   HttpServer server({.port = 3001});
//   server.route("GET", "/v1/jobs/{id}", [&](const ServerRequest& req, HttpResponder out) {
//     store.find_async(req.param("id"), [out](Job job) { out.respond(to_response(job)); });
//   });
//   if (Status s = server.start(); !s) return fail(s.message());
//
// Boost.Beast stays inside the .cpp files so that including this header is cheap.
// (The request/response types are Server*: io_loop.h's client already owns HttpRequest.)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace aiw::net {

namespace internal {
class Exchange;
class StreamState;
struct Listener;
struct ServerCore;
}  // namespace internal

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 0;  // 0: an ephemeral port, see HttpServer::port()
  int io_threads = 1;
  // A larger body is answered 413 as soon as that is known (Content-Length, or the chunk that
  // crosses it) without reading the rest, then the connection closes.
  size_t max_body_bytes = 1u << 20;
  size_t max_header_bytes = 8u << 10;  // request line + header fields; beyond: 431 and close
  // From a connection's first byte of a request (or its accept) to the end of the header; a
  // slow or silent client (slowloris) is disconnected after it.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};   // from the end of the header to the body's end
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive: a response to the next request
  std::chrono::milliseconds write_timeout{30'000};  // per write; a client reading slower is closed
  // Open connections at most; a connection beyond is accepted and closed at once (so the kernel's
  // backlog never fills with connections nobody serves), and counted as rejected.
  size_t max_connections = 10'000;
  // A stream whose client reads slower than the handler sends is closed once this much waits.
  size_t max_stream_queue_bytes = 1u << 20;
  std::chrono::milliseconds stop_timeout{5'000};  // stop(): the bound on in-flight responses
  // After answering an error and closing, unread input is drained this long so that the client
  // reads the answer instead of a connection reset.
  std::chrono::milliseconds linger_timeout{2'000};
};

// A request as parsed. Valid for the handler call; copy what a later answer needs.
class ServerRequest {
 public:
  std::string method;          // "GET", "POST", ...
  std::string target;          // as sent: path and query
  std::string body;            // decoded from chunked transfer when it came chunked
  std::string remote_address;  // the peer's IP ("127.0.0.1", "::1"), for per-IP limits
  int version = 11;            // 10 or 11

  std::string_view path() const;          // the target up to '?', not percent-decoded
  std::string_view query_string() const;  // after '?', "" when none
  // The first query parameter with this name, percent-decoded ('+' is a space); nullopt when
  // absent.
  std::optional<std::string> query(std::string_view name) const;
  // The first header with this name (case-insensitive), "" when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  size_t header_count() const { return headers_.size(); }
  std::pair<std::string_view, std::string_view> header_at(size_t i) const;
  // A value captured by the route pattern ("/v1/jobs/{id}" -> param("id")), percent-decoded;
  // "" when the pattern has no such name.
  std::string_view param(std::string_view name) const;

  // Filled by the server (and by tests). clear() keeps the storage for the next request.
  void add_header(std::string_view name, std::string_view value);
  void add_param(std::string_view name, std::string_view decoded_value);
  void clear();

 private:
  struct Span {
    uint32_t offset = 0;
    uint32_t size = 0;
  };
  struct Field {
    Span name;
    Span value;
  };
  std::string_view view(Span span) const { return {fields_.data() + span.offset, span.size}; }
  Field append(std::string_view name, std::string_view value);

  std::string fields_;  // names and values back to back: one allocation reused per connection
  std::vector<Field> headers_;
  std::vector<Field> params_;
};

struct ServerResponse {
  int status = 200;
  // Framing (Content-Length, Transfer-Encoding, Connection) is the server's: such headers here
  // are ignored.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static ServerResponse json(int status, std::string body);
  static ServerResponse text(int status, std::string body);  // text/plain; charset=utf-8
  // Replaces a header of the same name (case-insensitive), or adds it.
  ServerResponse& set_header(std::string_view name, std::string value);
  ServerResponse& content_type(std::string value) {
    return set_header("Content-Type", std::move(value));
  }
};

// {"error":{"code":"...","message":"...","field":"..."}} with this status; field only when given.
// `message` is a sentence a person can act on.
ServerResponse json_error(int status, std::string_view code, std::string_view message,
                          std::string_view field = "");

// One Server-Sent Event: "event: <event>\nid: <id>\ndata: <line>\n...\n\n" (each line of data
// on its own data: line; event and id omitted when empty).
std::string sse_event(std::string_view data, std::string_view event = "", std::string_view id = "");

// A response body sent piece by piece (Server-Sent Events): chunked on HTTP/1.1,
// close-delimited on HTTP/1.0; the connection closes when the stream ends. A cheap copyable
// handle; every method may be called from any thread. Dropping the last copy ends the stream.
class HttpStream {
 public:
  HttpStream() = default;
  // Queues a piece; false once the stream has ended (client gone, closed, server stopping, or
  // the client reads too slowly: HttpServerOptions::max_stream_queue_bytes).
  bool send(std::string chunk) const;
  // Ends the stream after the pieces already queued.
  void close() const;
  // `callback` runs once when the stream ends for any reason (most usefully: the client went
  // away), on an I/O thread, or at once on this thread when it has already ended. Replaces an
  // earlier callback. Must not block.
  void on_close(std::function<void()> callback) const;
  bool is_open() const;
  explicit operator bool() const { return state_ != nullptr; }

 private:
  friend class HttpResponder;
  explicit HttpStream(std::shared_ptr<internal::StreamState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::StreamState> state_;
};

// How a handler answers its request: now or later, from any thread. A cheap copyable handle;
// the first respond() or start_stream() wins and later calls are ignored. When the last copy is
// dropped without an answer the client gets 500, never a hanging request.
class HttpResponder {
 public:
  void respond(ServerResponse response) const;
  // Answers with `status` and `headers` and a body that follows through the stream. Returns an
  // empty handle when the request was already answered.
  HttpStream start_stream(int status,
                          std::vector<std::pair<std::string, std::string>> headers = {}) const;
  bool answered() const;

 private:
  friend class internal::Exchange;
  explicit HttpResponder(std::shared_ptr<internal::Exchange> exchange)
      : exchange_(std::move(exchange)) {}
  std::shared_ptr<internal::Exchange> exchange_;
};

using Handler = std::function<void(const ServerRequest&, HttpResponder)>;

class HttpServer {
 public:
  struct Stats {
    uint64_t connections_open = 0;
    uint64_t connections_accepted = 0;
    uint64_t connections_rejected = 0;    // beyond max_connections
    uint64_t requests_received = 0;       // requests parsed and routed
    uint64_t responses_sent = 0;          // written completely (a stream: its head)
    uint64_t responses_by_class[6] = {};  // [1] 1xx ... [5] 5xx, by status / 100
  };

  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Before start() only (routes are read without locks while serving; after start() this
  // throws std::logic_error, a programming error). `pattern` is a path whose
  // segments may be captures: "/v1/jobs/{id}/cancel". HEAD falls back to the GET route. An
  // unknown path gets 404, a known path with another method 405 with Allow; both JSON errors.
  void route(std::string method, std::string_view pattern, Handler handler);

  // Binds host:port and starts the I/O threads; a sentence when the address cannot be used.
  Status start();
  uint16_t port() const;  // the bound port, after start()

  // Stops accepting, closes idle connections and ends streams, lets in-flight responses finish
  // within stop_timeout, then closes the rest and joins the I/O threads. Idempotent; not from a
  // handler. Responders used afterwards do nothing.
  void stop();

  Stats stats() const;

 private:
  HttpServerOptions options_;
  // Shared with every connection and handle, so that a responder kept past stop() stays safe.
  std::shared_ptr<internal::ServerCore> core_;
  std::unique_ptr<internal::Listener> listener_;  // after core_: destroyed first
  uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace aiw::net
