#include "fakes/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>

namespace aiw::fakes {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Large enough for any prompt or image a test sends.
constexpr uint64_t kMaxRequestBody = 64u << 20;

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// What sessions share with the server; outlives every session (see HttpServer::Impl).
struct ServerState {
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> served{0};
  std::atomic<size_t> connections{0};
  mutable std::shared_mutex routes_mu;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Handler>> routes;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Handler>> prefixes;

  std::shared_ptr<const Handler> find(const std::string& method, const std::string& path) const {
    std::shared_lock lock(routes_mu);
    auto it = routes.find({method, path});
    if (it != routes.end()) return it->second;
    std::shared_ptr<const Handler> best;
    size_t best_size = 0;
    for (const auto& [key, handler] : prefixes) {
      if (key.first == method && path.starts_with(key.second) && key.second.size() >= best_size) {
        best = handler;
        best_size = key.second.size();
      }
    }
    return best;
  }
};

}  // namespace

std::string Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equals_nocase(key, name)) return value;
  }
  return "";
}

// The state is a base so that it is destroyed after the io_context, whose destruction ends the
// sessions that still use it.
struct HttpServer::Impl : ServerState {
  std::optional<asio::io_context> ioc;
  std::optional<tcp::acceptor> acceptor;
  uint16_t port = 0;
  std::vector<std::thread> threads;
  std::mutex stop_mu;

  void accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerState& server)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), server_(server) {
    ++server_.connections;
  }
  ~Session() { --server_.connections; }

  void read_request() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, size_t) { self->on_read(ec); });
  }

 private:
  void on_read(error_code ec) {
    if (ec) return close();  // includes the client closing a keep-alive connection
    ++server_.received;
    const auto& message = parser_->get();
    Request request = to_request(message);
    Response response;
    if (auto handler = server_.find(request.method, request.path)) {
      try {
        (*handler)(request, response);
      } catch (const std::exception& e) {
        response = Response{500, {}, std::string("handler threw: ") + e.what()};
      }
    } else {
      response = Response{404, {}, "no route for " + request.method + " " + request.path};
    }
    if (response.hang) return discard_until_closed();
    const bool streamed = response.truncate || response.next_piece;
    if (streamed) {
      build_streamed(response, message.version(), message.keep_alive());
    } else {
      build_reply(response, message.version(), message.keep_alive());
    }
    auto start = [self = shared_from_this(), drop = response.drop, streamed] {
      if (drop) return self->drop();
      if (streamed) return self->write_header();
      self->write_reply();
    };
    if (response.delay.count() <= 0) return start();
    timer_.expires_after(response.delay);
    timer_.async_wait([start](error_code wait_ec) {
      if (!wait_ec) start();
    });
  }

  // A streamed body: the header first, then each piece as the handler's generator yields it.
  void build_streamed(Response& response, unsigned version, bool keep_alive) {
    header_ = {};
    header_.version(version);
    header_.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers) header_.insert(name, value);
    header_.keep_alive(keep_alive);
    close_after_ = !keep_alive;
    piece_interval_ = response.piece_interval;
    chunked_ = false;
    truncated_ = response.truncate;
    if (response.truncate) {
      // A peer that dies mid-body: the client is promised more bytes than ever arrive.
      header_.content_length(response.body.size());
      auto half = std::make_shared<std::string>(response.body.substr(0, response.body.size() / 2));
      next_piece_ = [half](std::string& piece) {
        if (half->empty()) return false;
        piece.swap(*half);
        return true;
      };
      close_after_ = true;
    } else {
      next_piece_ = std::move(response.next_piece);
      if (response.content_length) {
        header_.content_length(*response.content_length);
      } else {
        header_.chunked(true);
        chunked_ = true;
      }
    }
  }

  void write_header() {
    header_serializer_.emplace(header_);
    http::async_write_header(socket_, *header_serializer_,
                             [self = shared_from_this()](error_code ec, size_t) {
                               if (ec) return self->close();
                               self->write_piece();
                             });
  }

  void write_piece() {
    piece_.clear();
    if (!next_piece_(piece_)) return finish_stream();
    auto after = [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->close();
      if (self->piece_interval_.count() <= 0) return self->write_piece();
      self->timer_.expires_after(self->piece_interval_);
      self->timer_.async_wait([self](error_code wait_ec) {
        if (!wait_ec) self->write_piece();
      });
    };
    if (chunked_) {
      if (piece_.empty()) return write_piece();  // an empty chunk would end the body
      asio::async_write(socket_, http::make_chunk(asio::buffer(piece_)), after);
    } else {
      asio::async_write(socket_, asio::buffer(piece_), after);
    }
  }

  void finish_stream() {
    next_piece_ = nullptr;
    auto done = [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->close();
      if (!self->truncated_) ++self->server_.served;
      if (self->close_after_) return self->close();
      self->read_request();
    };
    if (chunked_) return asio::async_write(socket_, http::make_chunk_last(), done);
    done({}, 0);
  }

  // A server that went away: no status line, the connection just ends.
  void drop() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  static Request to_request(const http::request<http::string_body>& message) {
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.path = request.target.substr(0, request.target.find('?'));
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = message.body();
    return request;
  }

  void build_reply(const Response& response, unsigned version, bool keep_alive) {
    reply_ = {};
    reply_.version(version);
    reply_.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers) reply_.insert(name, value);
    reply_.body() = response.body;
    reply_.keep_alive(keep_alive);
    if (response.chunked) {
      reply_.chunked(true);
    } else {
      reply_.prepare_payload();
    }
  }

  void write_reply() {
    http::async_write(socket_, reply_, [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->close();
      ++self->server_.served;
      if (!self->reply_.keep_alive()) return self->close();
      self->read_request();
    });
  }

  // A hung request: read and drop whatever comes until the client gives up and closes.
  void discard_until_closed() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](error_code ec, size_t) {
                              if (!ec) self->discard_until_closed();
                            });
  }

  void close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  ServerState& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> reply_;
  std::array<char, 4096> scratch_{};
  // Streamed replies (see Response::next_piece).
  http::response<http::empty_body> header_;
  std::optional<http::response_serializer<http::empty_body>> header_serializer_;
  std::function<bool(std::string&)> next_piece_;
  std::string piece_;
  std::chrono::milliseconds piece_interval_{0};
  bool chunked_ = false;
  bool close_after_ = false;
  bool truncated_ = false;
};

}  // namespace

void HttpServer::Impl::accept() {
  // Each connection gets a strand: with several threads its handlers still never overlap.
  acceptor->async_accept(asio::make_strand(*ioc), [this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), *this)->read_request();
    accept();  // other errors (e.g. out of file descriptors) end only this connection
  });
}

HttpServer::HttpServer(int threads, uint16_t port) : impl_(std::make_shared<Impl>()) {
  impl_->ioc.emplace(std::max(threads, 1));
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  impl_->acceptor.emplace(*impl_->ioc);
  impl_->acceptor->open(endpoint.protocol());
  impl_->acceptor->set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor->bind(endpoint);
  // The largest backlog: a client opening a thousand connections at once must not see SYNs
  // dropped (it would retry only after a second).
  impl_->acceptor->listen(asio::socket_base::max_listen_connections);
  impl_->port = impl_->acceptor->local_endpoint().port();
  impl_->accept();
  for (int i = 0; i < std::max(threads, 1); ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] { impl->ioc->run(); });
  }
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(std::string method, std::string path, Handler handler) {
  std::unique_lock lock(impl_->routes_mu);
  impl_->routes[{std::move(method), std::move(path)}] =
      std::make_shared<const Handler>(std::move(handler));
}

void HttpServer::route_prefix(std::string method, std::string prefix, Handler handler) {
  std::unique_lock lock(impl_->routes_mu);
  impl_->prefixes[{std::move(method), std::move(prefix)}] =
      std::make_shared<const Handler>(std::move(handler));
}

uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + std::string(path);
}

uint64_t HttpServer::requests_received() const { return impl_->received.load(); }
uint64_t HttpServer::requests_served() const { return impl_->served.load(); }
size_t HttpServer::open_connections() const { return impl_->connections.load(); }

void HttpServer::stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (!impl_->ioc) return;
  impl_->ioc->stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  impl_->acceptor.reset();
  impl_->ioc.reset();  // destroys the pending handlers and with them every session and socket
}

}  // namespace aiw::fakes
