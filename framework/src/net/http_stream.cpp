// Answers: HttpResponder (now or later, from any thread) and streamed bodies (HttpStream,
// Server-Sent Events). A stream's pieces wait framed in the connection's queue and leave in
// one gather write; meanwhile a read stays pending so that a client leaving is seen at once.
#include <boost/asio/write.hpp>

#include "net/http_connection.h"
#include "net/http_text.h"

namespace aiw::net {
namespace internal {

Exchange::~Exchange() {
  if (claim()) {
    connection_->deliver(seq_, json_error(500, "internal",
                                          "the server dropped this request without an answer; "
                                          "retry it, and report it if it keeps happening"));
  }
}

StreamState::~StreamState() { connection_->stream_close(); }

bool StreamState::send(std::string_view chunk) {
  if (!open_.load()) return false;
  if (chunk.empty()) return true;  // an empty chunk would end a chunked body
  std::string framed;
  if (chunked_) {
    framed.reserve(chunk.size() + 16);
    append_chunk(framed, chunk);
  } else {
    framed.assign(chunk);
  }
  return connection_->stream_send(std::move(framed));
}

void StreamState::close() { connection_->stream_close(); }

void StreamState::on_close(std::function<void()> callback) {
  {
    std::lock_guard lock(mu_);
    if (!ended_) {
      callback_ = std::move(callback);
      return;
    }
  }
  if (callback) callback();
}

void StreamState::ended() {
  open_.store(false);
  std::function<void()> callback;
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
    callback.swap(callback_);  // a callback that holds the stream no longer keeps it alive
  }
  if (callback) callback();
}

void Connection::open_stream(uint64_t seq, int status,
                             std::vector<std::pair<std::string, std::string>> headers,
                             std::shared_ptr<StreamState> stream) {
  on_strand([self = shared_from_this(), seq, status, headers = std::move(headers),
             stream = std::move(stream)]() mutable {
    self->on_open_stream(seq, status, headers, std::move(stream));
  });
}

void Connection::on_open_stream(uint64_t seq, int status,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                std::shared_ptr<StreamState> stream) {
  if (closed_ || state_ != State::kHandling || seq != seq_) return stream->ended();
  stream_ = stream;
  chunked_ = version_ == 11;
  keep_alive_ = false;  // the connection ends with the stream: no framing to resume after it
  ResponseHead head{status, version_, false, chunked_ ? Framing::kChunked : Framing::kUntilClose,
                    0};
  std::string bytes;
  write_response_head(head, headers, bytes);
  stream_queued_bytes_.fetch_add(bytes.size());
  out_queue_.push_back(std::move(bytes));
  state_ = State::kStreaming;
  core_->count_response(status);
  write_queue();
  watch_peer();
}

bool Connection::stream_send(std::string framed) {
  if (core_->stopping) return false;
  size_t size = framed.size();
  if (stream_queued_bytes_.fetch_add(size) + size > core_->options.max_stream_queue_bytes) {
    // The client reads slower than the handler sends: end the stream rather than buffer
    // without bound (it reconnects and resumes from its last event id).
    force_close();
    return false;
  }
  on_strand([self = shared_from_this(), framed = std::move(framed)]() mutable {
    self->on_stream_chunk(std::move(framed));
  });
  return true;
}

void Connection::on_stream_chunk(std::string framed) {
  if (state_ != State::kStreaming || stream_ending_) return;
  out_queue_.push_back(std::move(framed));
  if (!writing_) write_queue();
}

void Connection::stream_close() {
  on_strand([self = shared_from_this()] { self->on_stream_close(); });
}

void Connection::on_stream_close() {
  if (state_ != State::kStreaming || stream_ending_) return;
  stream_ending_ = true;
  if (chunked_) out_queue_.emplace_back("0\r\n\r\n");
  if (writing_) return;  // on_queue_written finishes
  if (out_queue_.empty()) return close_socket();
  write_queue();
}

void Connection::write_queue() {
  writing_ = true;
  out_buffers_.clear();
  for (const std::string& piece : out_queue_) out_buffers_.push_back(asio::buffer(piece));
  size_t count = out_queue_.size();
  arm(core_->options.write_timeout);
  asio::async_write(socket_, out_buffers_,
                    [self = shared_from_this(), count](error_code ec, size_t) {
                      self->on_queue_written(ec, count);
                    });
}

void Connection::on_queue_written(error_code ec, size_t count) {
  writing_ = false;
  disarm();
  if (ec || closed_) return close_socket();
  size_t written = 0;
  for (size_t i = 0; i < count; ++i) {
    written += out_queue_.front().size();
    out_queue_.pop_front();
  }
  stream_queued_bytes_.fetch_sub(written);
  if (!out_queue_.empty()) return write_queue();
  if (stream_ending_) close_socket();
}

void Connection::watch_peer() {
  // A stream's client sends nothing more; a completed read means it has gone (EOF or reset).
  buffer_.consume(buffer_.size());
  socket_.async_read_some(buffer_.prepare(512), [self = shared_from_this()](error_code ec, size_t) {
    if (ec) return self->close_socket();
    self->watch_peer();
  });
}

}  // namespace internal

void HttpResponder::respond(ServerResponse response) const {
  if (!exchange_ || !exchange_->claim()) return;
  exchange_->connection().deliver(exchange_->seq(), std::move(response));
}

HttpStream HttpResponder::start_stream(
    int status, std::vector<std::pair<std::string, std::string>> headers) const {
  if (!exchange_ || !exchange_->claim()) return {};
  auto state = std::make_shared<internal::StreamState>(exchange_->connection_ptr(),
                                                       exchange_->version() == 11);
  exchange_->connection().open_stream(exchange_->seq(), status, std::move(headers), state);
  return HttpStream(std::move(state));
}

bool HttpResponder::answered() const { return !exchange_ || exchange_->answered(); }

bool HttpStream::send(std::string chunk) const { return state_ && state_->send(chunk); }
void HttpStream::close() const {
  if (state_) state_->close();
}
void HttpStream::on_close(std::function<void()> callback) const {
  if (state_) state_->on_close(std::move(callback));
}
bool HttpStream::is_open() const { return state_ && state_->is_open(); }

}  // namespace aiw::net
