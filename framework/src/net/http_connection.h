// Internal to the HTTP server (http_server.h is the API): the state every connection shares
// (ServerCore) and one connection's life (Connection). Includes Asio and Beast, so only the
// server's .cpp files include it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/http_router.h"
#include "net/http_server.h"

namespace aiw::net::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Strand = asio::strand<asio::io_context::executor_type>;

class Connection;

// Shared by the server, its connections and every responder or stream handle, so that the
// io_context outlives each socket, even one a handler still holds after stop().
struct ServerCore {
  ServerCore(HttpServerOptions opts)
      : options(std::move(opts)), ioc(std::max(options.io_threads, 1)) {}

  // Runs fn on the strand; dropped once stop() has joined the I/O threads (nothing would run it).
  template <typename Fn>
  void post(const Strand& strand, Fn&& fn) {
    std::lock_guard lock(mu);
    if (accepting_posts) asio::post(strand, std::forward<Fn>(fn));
  }
  void connection_opened(Connection* connection, std::weak_ptr<Connection> weak);
  void connection_closed(Connection* connection);
  void count_response(int status);
  std::vector<std::shared_ptr<Connection>> live_connections();

  HttpServerOptions options;
  Router router;
  asio::io_context ioc;  // before the members that use it: destroyed after them
  std::atomic<bool> stopping{false};

  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> responses{0};
  std::array<std::atomic<uint64_t>, 6> responses_by_class{};

  std::mutex mu;  // guards what follows
  std::condition_variable all_closed;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  bool accepting_posts = true;
};

// One client connection. Everything but the "any thread" methods runs on the connection's
// strand, so a connection's state needs no lock even with several I/O threads.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Strand strand, std::shared_ptr<ServerCore> core);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();  // any thread

  // Any thread. `seq` names the request being answered: an answer to an older one is ignored.
  void deliver(uint64_t seq, ServerResponse response);
  void open_stream(uint64_t seq, int status,
                   std::vector<std::pair<std::string, std::string>> headers,
                   std::shared_ptr<StreamState> stream);
  // A framed piece; false once the stream is over or its client too far behind.
  bool stream_send(std::string framed);
  void stream_close();
  void shutdown_gracefully();  // stop(): close when idle, else after the response in flight
  void force_close();

 private:
  enum class State { kReading, kHandling, kWriting, kStreaming, kClosing, kClosed };

  // Runs fn on the strand: at once when already there (a handler answering synchronously skips
  // a queue round trip), else posted.
  template <typename Fn>
  void on_strand(Fn&& fn) {
    if (strand_.running_in_this_thread()) {
      fn();
    } else {
      core_->post(strand_, std::forward<Fn>(fn));
    }
  }

  // http_connection.cpp: requests and responses.
  void read_next();
  void read_header(bool arm_timer);
  void on_header(error_code ec);
  void read_body();
  // Parses what buffer_ holds, up to the header's end or the message's, without I/O:
  // http::error::need_more when it runs out first (then Beast's async read carries on).
  error_code parse_buffered(bool header_only);
  void on_read_error(error_code ec);
  void dispatch();
  void handle_unrouted(const Router::Match& match);
  void on_deliver(uint64_t seq, ServerResponse response);
  void write_response(ServerResponse response);
  void on_written(int status, bool at_once);  // at_once: written within write_response
  void reply_error(int status, std::string_view code, std::string message);
  void linger_close();
  void drain();
  void close_socket();
  bool is_idle() const;
  // The single timer: one wait at a time, re-armed only when a deadline moves earlier.
  void arm(std::chrono::milliseconds timeout);
  void disarm();
  void start_wait();
  void on_timer(uint64_t generation);

  // http_stream.cpp: a streamed response.
  void on_open_stream(uint64_t seq, int status,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      std::shared_ptr<StreamState> stream);
  void on_stream_chunk(std::string framed);
  void on_stream_close();
  void write_queue();
  void on_queue_written(error_code ec, size_t count);
  void watch_peer();

  using Clock = std::chrono::steady_clock;

  std::shared_ptr<ServerCore> core_;
  Strand strand_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  uint64_t wait_generation_ = 0;
  bool waiting_ = false;
  bool non_blocking_ = false;  // the socket is: write_response tries a write at once

  State state_ = State::kReading;
  bool closed_ = false;
  bool first_request_ = true;
  bool keep_alive_ = true;
  bool head_request_ = false;
  int version_ = 11;
  uint64_t seq_ = 0;
  std::string remote_address_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerRequest request_;
  ServerResponse response_;
  std::string head_;

  // Streaming: pieces wait here, framed, and go out in one gather write.
  std::weak_ptr<StreamState> stream_;
  bool chunked_ = false;
  bool stream_ending_ = false;
  bool writing_ = false;
  std::deque<std::string> out_queue_;
  std::vector<asio::const_buffer> out_buffers_;
  std::atomic<size_t> stream_queued_bytes_{0};
};

// One request's answer slot, shared by the copies of its HttpResponder.
class Exchange {
 public:
  Exchange(std::shared_ptr<Connection> connection, uint64_t seq, int version)
      : connection_(std::move(connection)), seq_(seq), version_(version) {}
  ~Exchange();
  bool claim() { return !answered_.exchange(true); }  // true for the first answer only
  bool answered() const { return answered_.load(); }
  Connection& connection() { return *connection_; }
  const std::shared_ptr<Connection>& connection_ptr() const { return connection_; }
  uint64_t seq() const { return seq_; }
  int version() const { return version_; }
  static HttpResponder responder(std::shared_ptr<Exchange> exchange) {
    return HttpResponder(std::move(exchange));
  }

 private:
  std::shared_ptr<Connection> connection_;
  uint64_t seq_;
  int version_;  // of the request: a stream is chunked on HTTP/1.1 only
  std::atomic<bool> answered_{false};
};

// A stream's end as the handler's handles see it.
class StreamState {
 public:
  StreamState(std::shared_ptr<Connection> connection, bool chunked)
      : connection_(std::move(connection)), chunked_(chunked) {}
  ~StreamState();  // the last handle is gone: end the stream
  bool send(std::string_view chunk);
  void close();
  void on_close(std::function<void()> callback);
  bool is_open() const { return open_.load(); }
  void ended();  // by the connection, once

 private:
  std::shared_ptr<Connection> connection_;
  bool chunked_;
  std::atomic<bool> open_{true};
  std::mutex mu_;
  std::function<void()> callback_;
  bool ended_ = false;
};

}  // namespace aiw::net::internal
