// HttpServer: a small event-driven HTTP/1.1 server on 127.0.0.1 for tests and benchmarks, and
// the base the protocol fakes (Ollama, Gemini, YOLO) build on.
//
// Async (Boost.Beast/Asio, no thread per connection), keep-alive, thousands of concurrent
// connections. A handler fills a Response; a Response can also be delayed (served by a timer,
// no thread sleeps) or never answered at all, to test client timeouts and cancels. Beast stays
// inside http_server.cpp so that including this header is cheap.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiw::fakes {

struct Request {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as sent: path and query
  std::string path;                                          // target without the query
  std::vector<std::pair<std::string, std::string>> headers;  // as sent
  std::string body;

  // The first header with this name (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // answer this much later
  bool hang = false;                   // never answer; the connection stays open until closed
  bool chunked = false;                // send the body with chunked encoding, no Content-Length

  // Faults and streaming, for the protocol simulators (see fakes/sim/):
  bool drop = false;      // close the connection at once without answering (a server going down)
  bool truncate = false;  // announce the full Content-Length, send half the body, then close
  // When set, the body is pulled piece by piece (body is ignored) and each piece is written as
  // it comes: one chunk each (chunked encoding), or raw bytes when content_length is set. Lets
  // a fake stream NDJSON or SSE line by line, or serve 50 MB without holding it in memory.
  // Returning false ends the body.
  std::function<bool(std::string& piece)> next_piece{};
  std::chrono::milliseconds piece_interval{0};  // wait this long between pieces (a timer)
  std::optional<uint64_t> content_length{};     // with next_piece: a fixed length, no chunking
};

using Handler = std::function<void(const Request&, Response&)>;

class HttpServer {
 public:
  // Listens on 127.0.0.1:`port` (0: an ephemeral port) and serves on `threads` threads of its
  // own. Throws boost::system::system_error when the port cannot be bound.
  explicit HttpServer(int threads = 1, uint16_t port = 0);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Handlers run on a server thread; with threads > 1 they may run concurrently. Routes may be
  // added while serving. An unknown method+path gets 404.
  void route(std::string method, std::string path, Handler handler);
  // A handler for every path that starts with `prefix` (e.g. "/v1beta/models/"), used when no
  // exact route matches; the longest matching prefix wins.
  void route_prefix(std::string method, std::string prefix, Handler handler);

  uint16_t port() const;
  // "http://127.0.0.1:<port>" followed by `path`.
  std::string url(std::string_view path = "") const;

  uint64_t requests_received() const;  // requests parsed, including hung ones
  // Responses written completely. Counted after the write ends, so possibly just after the
  // client already holds the response.
  uint64_t requests_served() const;
  size_t open_connections() const;

  // Closes the listener and every connection, joins the threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace aiw::fakes
