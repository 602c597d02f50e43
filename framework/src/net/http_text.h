// Small text helpers of the HTTP server: case-insensitive compare, percent-decoding, JSON
// string escaping, and the bytes of a response head.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiw::net {

bool equals_nocase(std::string_view a, std::string_view b);

// %XX sequences decoded (a malformed one is kept as is); with plus_is_space, '+' becomes ' '
// (query strings, application/x-www-form-urlencoded).
std::string percent_decode(std::string_view text, bool plus_is_space);

// Appends `text` as the inside of a JSON string (quotes, backslashes, control characters).
void append_json_escaped(std::string& out, std::string_view text);

// The reason phrase of a status code ("Not Found"); "Unknown" for codes without one.
std::string_view reason_phrase(int status);

// How a response's body is framed on the wire.
enum class Framing {
  kLength,      // Content-Length
  kNoBody,      // 1xx, 204, 304: neither body nor Content-Length
  kChunked,     // Transfer-Encoding: chunked (a stream on HTTP/1.1)
  kUntilClose,  // no length: the body ends when the connection closes (a stream on HTTP/1.0)
};

struct ResponseHead {
  int status = 200;
  int version = 11;  // of the request: an HTTP/1.0 keep-alive needs it said
  bool keep_alive = true;
  Framing framing = Framing::kLength;
  size_t content_length = 0;
};

// Writes the status line and header block into `out` (cleared first; its capacity is reused),
// adding Date and the framing headers and skipping the caller's own framing headers.
void write_response_head(const ResponseHead& head,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::string& out);

// Appends one chunk of chunked transfer encoding ("<hex size>\r\n<data>\r\n").
void append_chunk(std::string& out, std::string_view data);

}  // namespace aiw::net
