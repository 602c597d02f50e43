// A connection's request/response cycle: wait (idle timeout), read the header (header timeout,
// size limit), read the body (body timeout, size limit), run the handler, write the answer
// (write timeout), and again. One request at a time: pipelined requests wait in buffer_ and are
// answered in order.
#include "net/http_connection.h"

#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/read.hpp>

#include "net/http_text.h"

namespace aiw::net::internal {
namespace {

constexpr size_t kReadSize = 4096;

std::string_view to_std(beast::string_view text) { return {text.data(), text.size()}; }

bool is_disconnect(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor;
}

}  // namespace

Connection::Connection(tcp::socket socket, Strand strand, std::shared_ptr<ServerCore> core)
    : core_(std::move(core)),
      strand_(std::move(strand)),
      socket_(std::move(socket)),
      timer_(strand_) {
  error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) remote_address_ = endpoint.address().to_string();
  // For write_response's first, synchronous attempt (asynchronous operations are unaffected).
  non_blocking_ = !socket_.non_blocking(true, ec);
}

Connection::~Connection() {
  if (!closed_) core_->connection_closed(this);
}

void Connection::start() {
  core_->connection_opened(this, weak_from_this());
  on_strand([self = shared_from_this()] { self->read_next(); });
}

void Connection::read_next() {
  if (closed_) return;
  if (core_->stopping) return close_socket();
  state_ = State::kReading;
  // The first request's header timeout runs from the accept: a client that connects and sends
  // nothing is a slowloris too.
  if (first_request_ || buffer_.size() > 0) return read_header(true);
  arm(core_->options.idle_timeout);
  socket_.async_read_some(buffer_.prepare(kReadSize),
                          [self = shared_from_this()](error_code ec, size_t n) {
                            if (ec) return self->close_socket();
                            self->buffer_.commit(n);
                            self->read_header(true);
                          });
}

void Connection::read_header(bool arm_timer) {
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(core_->options.max_header_bytes));
  parser_->body_limit(core_->options.max_body_bytes);
  if (arm_timer) arm(core_->options.header_timeout);
  if (buffer_.size() > 0) {
    // The usual case on a keep-alive connection: the whole header came with the read that
    // woke us. Parsed here, it costs no round trip through the I/O loop (Beast's read posts its
    // completion when it did no I/O).
    error_code ec = parse_buffered(true);
    if (ec != http::error::need_more) return on_header(ec);
  }
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, size_t) { self->on_header(ec); });
}

void Connection::on_header(error_code ec) {
  if (closed_) return;
  if (ec) return on_read_error(ec);
  version_ = static_cast<int>(parser_->get().version());
  auto length = parser_->content_length();
  if (length && *length > core_->options.max_body_bytes)
    return on_read_error(http::error::body_limit);
  if (parser_->is_done()) return dispatch();
  std::string_view expect = to_std(parser_->get()[http::field::expect]);
  if (version_ == 11 && equals_nocase(expect, "100-continue")) {
    // The client waits for this before it sends the body (curl does for large bodies).
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    arm(core_->options.write_timeout);
    asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](error_code write_ec, size_t) {
                        if (write_ec) return self->close_socket();
                        self->read_body();
                      });
    return;
  }
  read_body();
}

void Connection::read_body() {
  arm(core_->options.body_timeout);
  if (buffer_.size() > 0) {  // as in read_header: usually the body came with the header
    error_code ec = parse_buffered(false);
    if (ec != http::error::need_more) {
      if (ec) return on_read_error(ec);
      return dispatch();
    }
  }
  http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
    if (self->closed_) return;
    if (ec) return self->on_read_error(ec);
    self->dispatch();
  });
}

error_code Connection::parse_buffered(bool header_only) {
  error_code ec;
  while (!(header_only ? parser_->is_header_done() : parser_->is_done())) {
    if (buffer_.size() == 0) return http::error::need_more;
    size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec) return ec;  // need_more too: an incomplete header is left in buffer_
  }
  return ec;
}

void Connection::on_read_error(error_code ec) {
  if (closed_) return;
  if (ec == http::error::header_limit) {
    return reply_error(431, "header_too_large",
                       "the request line and headers are larger than " +
                           std::to_string(core_->options.max_header_bytes) + " bytes");
  }
  if (ec == http::error::body_limit) {
    return reply_error(413, "payload_too_large",
                       "the request body is larger than " +
                           std::to_string(core_->options.max_body_bytes) + " bytes");
  }
  if (is_disconnect(ec) ||
      ec.category() != http::make_error_code(http::error::bad_target).category()) {
    return close_socket();
  }
  reply_error(400, "bad_request", "the request is not valid HTTP/1.1: " + ec.message());
}

void Connection::dispatch() {
  disarm();
  core_->requests.fetch_add(1, std::memory_order_relaxed);
  auto& message = parser_->get();
  request_.clear();
  request_.method = to_std(message.method_string());
  request_.target = to_std(message.target());
  request_.version = version_;
  for (const auto& field : message) {
    request_.add_header(to_std(field.name_string()), to_std(field.value()));
  }
  request_.body = std::move(message.body());
  request_.remote_address = remote_address_;
  keep_alive_ = message.keep_alive() && !core_->stopping;
  head_request_ = message.method() == http::verb::head;
  parser_.reset();
  first_request_ = false;
  state_ = State::kHandling;
  uint64_t seq = ++seq_;

  Router::Match match = core_->router.find(request_.method, request_);
  if (match.handler == nullptr) return handle_unrouted(match);
  auto exchange = std::make_shared<Exchange>(shared_from_this(), seq, version_);
  try {
    (*match.handler)(request_, Exchange::responder(exchange));
  } catch (const std::exception& e) {
    if (exchange->claim()) {
      deliver(seq, json_error(500, "internal", std::string("the handler failed: ") + e.what()));
    }
  } catch (...) {
    if (exchange->claim()) deliver(seq, json_error(500, "internal", "the handler failed"));
  }
}

void Connection::handle_unrouted(const Router::Match& match) {
  std::string path(request_.path());
  if (!match.path_known) {
    return write_response(json_error(404, "not_found", "there is nothing at " + path));
  }
  ServerResponse response =
      json_error(405, "method_not_allowed",
                 path + " does not accept " + request_.method + "; use " + match.allow);
  response.set_header("Allow", match.allow);
  write_response(std::move(response));
}

void Connection::deliver(uint64_t seq, ServerResponse response) {
  on_strand([self = shared_from_this(), seq, response = std::move(response)]() mutable {
    self->on_deliver(seq, std::move(response));
  });
}

void Connection::on_deliver(uint64_t seq, ServerResponse response) {
  if (closed_ || state_ != State::kHandling || seq != seq_) return;
  write_response(std::move(response));
}

void Connection::write_response(ServerResponse response) {
  response_ = std::move(response);
  ResponseHead head{response_.status, version_, keep_alive_, Framing::kLength,
                    response_.body.size()};
  int status = response_.status;
  bool body_allowed = status >= 200 && status != 204 && status != 304;
  if (!body_allowed) head.framing = Framing::kNoBody;
  write_response_head(head, response_.headers, head_);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::const_buffer()};
  // HEAD gets GET's Content-Length but no body.
  if (body_allowed && !head_request_) buffers[1] = asio::buffer(response_.body);
  state_ = State::kWriting;
  // Most answers fit the socket's send buffer: written here at once (the socket does not
  // block), they skip the trip through the I/O loop that an asynchronous write's completion
  // costs. What does not fit goes out asynchronously, under the write timeout.
  size_t sent = 0;
  if (non_blocking_) {
    error_code ec;
    sent = socket_.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      sent = 0;
    } else if (ec) {
      response_ = ServerResponse{};
      return close_socket();
    } else if (sent == asio::buffer_size(buffers)) {
      return on_written(status, true);
    }
  }
  beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(buffers);
  rest.consume(sent);
  arm(core_->options.write_timeout);
  asio::async_write(socket_, rest, [self = shared_from_this(), status](error_code ec, size_t) {
    if (ec || self->closed_) {
      self->response_ = ServerResponse{};
      return self->close_socket();
    }
    self->on_written(status, false);
  });
}

void Connection::on_written(int status, bool at_once) {
  response_ = ServerResponse{};  // an idle connection holds no body
  disarm();
  core_->count_response(status);
  if (!keep_alive_) return linger_close();
  if (at_once && buffer_.size() > 0) {
    // A pipelined request is waiting, and it may be answered at once too: through the loop,
    // so that a client's many pipelined requests cannot nest these calls without bound.
    return core_->post(strand_, [self = shared_from_this()] { self->read_next(); });
  }
  read_next();
}

void Connection::reply_error(int status, std::string_view code, std::string message) {
  // After a framing error the rest of the input cannot be trusted: answer, then close.
  keep_alive_ = false;
  head_request_ = false;
  state_ = State::kHandling;
  write_response(json_error(status, code, message));
}

void Connection::linger_close() {
  // Closing with unread input makes the kernel send a reset, which can destroy the answer
  // before the client reads it; so half-close and drain for a bounded time (as nginx does).
  state_ = State::kClosing;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  arm(core_->options.linger_timeout);
  drain();
}

void Connection::drain() {
  buffer_.consume(buffer_.size());
  socket_.async_read_some(buffer_.prepare(kReadSize),
                          [self = shared_from_this()](error_code ec, size_t) {
                            if (ec) return self->close_socket();
                            self->drain();
                          });
}

void Connection::close_socket() {
  if (closed_) return;
  closed_ = true;
  state_ = State::kClosed;
  error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
  core_->connection_closed(this);
  if (auto stream = stream_.lock()) stream->ended();
}

bool Connection::is_idle() const {
  return state_ == State::kReading && buffer_.size() == 0 && !(parser_ && parser_->got_some());
}

void Connection::shutdown_gracefully() {
  on_strand([self = shared_from_this()] {
    if (self->closed_) return;
    switch (self->state_) {
      case State::kReading:
        if (self->is_idle()) self->close_socket();
        break;  // else dispatch() sees `stopping` and answers with Connection: close
      case State::kHandling:
      case State::kWriting:
        self->keep_alive_ = false;
        break;
      case State::kStreaming:
        self->on_stream_close();
        break;
      case State::kClosing:
      case State::kClosed:
        break;
    }
  });
}

void Connection::force_close() {
  on_strand([self = shared_from_this()] { self->close_socket(); });
}

void Connection::arm(std::chrono::milliseconds timeout) {
  deadline_ = Clock::now() + timeout;
  if (!waiting_ || deadline_ < timer_.expiry()) start_wait();
}

void Connection::disarm() { deadline_ = Clock::time_point::max(); }

void Connection::start_wait() {
  timer_.expires_at(deadline_);  // cancels a pending wait, which then sees a newer generation
  waiting_ = true;
  timer_.async_wait([self = shared_from_this(), generation = ++wait_generation_](error_code) {
    self->on_timer(generation);
  });
}

void Connection::on_timer(uint64_t generation) {
  if (generation != wait_generation_) return;
  waiting_ = false;
  if (closed_ || deadline_ == Clock::time_point::max()) return;
  if (Clock::now() < deadline_) return start_wait();  // the deadline moved later meanwhile
  close_socket();  // the pending read or write ends with operation_aborted
}

}  // namespace aiw::net::internal
