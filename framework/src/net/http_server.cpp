// HttpServer: the listener, the I/O threads and the graceful stop. Connections live in
// http_connection.cpp, answers and streams in http_stream.cpp.
#include "net/http_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <stdexcept>
#include <thread>

#include "net/http_connection.h"

namespace aiw::net {
namespace internal {

void ServerCore::connection_opened(Connection* connection, std::weak_ptr<Connection> weak) {
  connections_accepted.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu);
  connections.emplace(connection, std::move(weak));
}

void ServerCore::connection_closed(Connection* connection) {
  connections_open.fetch_sub(1);
  std::lock_guard lock(mu);
  connections.erase(connection);
  if (connections.empty()) all_closed.notify_all();
}

void ServerCore::count_response(int status) {
  responses.fetch_add(1, std::memory_order_relaxed);
  size_t status_class = static_cast<size_t>(std::clamp(status / 100, 0, 5));
  responses_by_class[status_class].fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::shared_ptr<Connection>> ServerCore::live_connections() {
  std::vector<std::shared_ptr<Connection>> live;
  std::lock_guard lock(mu);
  live.reserve(connections.size());
  for (auto& [raw, weak] : connections) {
    if (auto connection = weak.lock()) live.push_back(std::move(connection));
  }
  return live;
}

// The listener and the threads; HttpServer's half of the shared state.
struct Listener {
  explicit Listener(asio::io_context& ioc)
      : acceptor(asio::make_strand(ioc)),
        retry_timer(acceptor.get_executor()),
        work(ioc.get_executor()) {}
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
};

namespace {

void accept_next(const std::shared_ptr<ServerCore>& core, Listener& listener) {
  Strand strand = asio::make_strand(core->ioc);
  listener.acceptor.async_accept(strand, [core, strand, &listener](error_code ec,
                                                                   tcp::socket socket) {
    if (ec == asio::error::operation_aborted || core->stopping) return;
    if (ec) {
      // Most likely out of file descriptors: retrying at once would spin; wait a little.
      listener.retry_timer.expires_after(std::chrono::milliseconds(50));
      listener.retry_timer.async_wait([core, &listener](error_code wait_ec) {
        if (!wait_ec && !core->stopping) accept_next(core, listener);
      });
      return;
    }
    if (core->connections_open.load() >= core->options.max_connections) {
      // Accept and close at once: refusing to accept would leave clients waiting in the
      // kernel's backlog with no answer; a closed connection tells them to back off.
      core->connections_rejected.fetch_add(1, std::memory_order_relaxed);
      error_code ignored;
      socket.close(ignored);
    } else {
      core->connections_open.fetch_add(1);
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // small answers and SSE events leave now
      std::make_shared<Connection>(std::move(socket), strand, core)->start();
    }
    accept_next(core, listener);
  });
}

}  // namespace
}  // namespace internal

HttpServer::HttpServer(HttpServerOptions options)
    : options_(options), core_(std::make_shared<internal::ServerCore>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(std::string method, std::string_view pattern, Handler handler) {
  if (listener_) throw std::logic_error("HttpServer::route() after start()");
  core_->router.add(std::move(method), pattern, std::move(handler));
}

Status HttpServer::start() {
  namespace asio = internal::asio;
  using internal::tcp;
  if (listener_) return Status::error("the HTTP server is already started");
  auto listener = std::make_unique<internal::Listener>(core_->ioc);
  internal::error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return Status::error("cannot listen on '" + options_.host + "': not an IP address");
  tcp::endpoint endpoint(address, options_.port);
  std::string where = options_.host + ":" + std::to_string(options_.port);
  if (listener->acceptor.open(endpoint.protocol(), ec) ||
      listener->acceptor.set_option(tcp::acceptor::reuse_address(true), ec) ||
      listener->acceptor.bind(endpoint, ec) ||
      // The largest backlog: a burst of a thousand connects must not see SYNs dropped.
      listener->acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
    return Status::error("cannot listen on " + where + ": " + ec.message());
  }
  port_ = listener->acceptor.local_endpoint().port();
  internal::accept_next(core_, *listener);
  for (int i = 0; i < std::max(options_.io_threads, 1); ++i) {
    listener->threads.emplace_back([core = core_] { core->ioc.run(); });
  }
  listener_ = std::move(listener);
  return {};
}

uint16_t HttpServer::port() const { return port_; }

void HttpServer::stop() {
  std::lock_guard lock(stop_mu_);
  if (!listener_ || stopped_) return;
  stopped_ = true;
  internal::ServerCore& core = *core_;
  core.stopping = true;
  internal::asio::post(listener_->acceptor.get_executor(), [listener = listener_.get()] {
    internal::error_code ignored;
    listener->acceptor.close(ignored);
    listener->retry_timer.cancel();
  });
  for (auto& connection : core.live_connections()) connection->shutdown_gracefully();
  {
    std::unique_lock wait_lock(core.mu);
    core.all_closed.wait_for(wait_lock, options_.stop_timeout,
                             [&] { return core.connections.empty(); });
  }
  for (auto& connection : core.live_connections()) connection->force_close();
  {
    // From here an answer given late has nowhere to go: posting it would only queue it in an
    // io_context nobody runs.
    std::lock_guard post_lock(core.mu);
    core.accepting_posts = false;
  }
  listener_->work.reset();  // the threads return once the closes above have run
  for (auto& thread : listener_->threads) thread.join();
  listener_->threads.clear();
}

HttpServer::Stats HttpServer::stats() const {
  Stats stats;
  stats.connections_open = core_->connections_open.load();
  stats.connections_accepted = core_->connections_accepted.load();
  stats.connections_rejected = core_->connections_rejected.load();
  stats.requests_received = core_->requests.load();
  stats.responses_sent = core_->responses.load();
  for (size_t i = 0; i < 6; ++i) stats.responses_by_class[i] = core_->responses_by_class[i].load();
  return stats;
}

}  // namespace aiw::net
