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
};

using Handler = std::function<void(const Request&, Response&)>;

class HttpServer {
 public:
  // Listens on an ephemeral port of 127.0.0.1 and serves on `threads` threads of its own.
  explicit HttpServer(int threads = 1);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Handlers run on a server thread; with threads > 1 they may run concurrently. Routes may be
  // added while serving. An unknown method+path gets 404.
  void route(std::string method, std::string path, Handler handler);

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
