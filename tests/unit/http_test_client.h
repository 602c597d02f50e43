// A blocking HTTP/1.1 client on plain POSIX sockets for the HttpServer tests: it sends exactly
// the bytes a test writes (garbage, pipelines, half headers) and reads answers one by one.
// Every read is bounded by a generous timeout, so a server that hangs fails the test instead of
// hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace aiw::testing {

struct ClientResponse {
  int status = 0;                              // 0: no (complete) response arrived
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

inline void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

class TestClient {
 public:
  static constexpr std::chrono::milliseconds kLimit{5000};

  explicit TestClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~TestClient() { close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length, chunked, or until the connection closes).
  ClientResponse read_response(std::chrono::milliseconds limit = kLimit) {
    return read(limit, true);
  }
  // The answer to HEAD: a Content-Length but no body.
  ClientResponse read_head_response() { return read(kLimit, false); }

  // Reads what arrives until `needle` is among it; false after the limit or on close.
  bool read_until(std::string_view needle, std::chrono::milliseconds limit = kLimit) {
    while (buffer_.find(needle) == std::string::npos) {
      if (!fill(limit)) return false;
    }
    return true;
  }
  const std::string& received() const { return buffer_; }

  // True once the server has closed the connection (EOF or reset), false after `limit`.
  bool wait_closed(std::chrono::milliseconds limit = kLimit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    char scratch[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd_, scratch, sizeof scratch, 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  ClientResponse read(std::chrono::milliseconds limit, bool with_body) {
    ClientResponse response;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(limit)) return response;
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    parse_head(head, response);
    if (!with_body || response.status < 200 || response.status == 204 || response.status == 304)
      return response;
    if (response.header("transfer-encoding") == "chunked") {
      while (true) {
        std::string line;
        if (!read_line(line, limit)) return {};
        size_t size = std::stoul(line, nullptr, 16);
        if (!read_bytes(size + 2, limit)) return {};
        response.body += buffer_.substr(0, size);
        buffer_.erase(0, size + 2);
        if (size == 0) return response;
      }
    }
    if (!response.headers.count("content-length")) {
      while (fill(limit)) {
      }
      response.body = std::move(buffer_);
      buffer_.clear();
      return response;
    }
    size_t length = std::stoul(response.header("content-length"));
    if (!read_bytes(length, limit)) return {};
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  bool fill(std::chrono::milliseconds limit) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(limit.count())) <= 0) return false;
    char scratch[16384];
    ssize_t n = ::recv(fd_, scratch, sizeof scratch, 0);
    if (n <= 0) return false;
    buffer_.append(scratch, static_cast<size_t>(n));
    return true;
  }
  bool read_bytes(size_t n, std::chrono::milliseconds limit) {
    while (buffer_.size() < n) {
      if (!fill(limit)) return false;
    }
    return true;
  }
  bool read_line(std::string& line, std::chrono::milliseconds limit) {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!fill(limit)) return false;
    }
    line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return true;
  }
  static void parse_head(const std::string& head, ClientResponse& response) {
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    response.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      std::string line = head.substr(pos, next - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers[name] = value;
      pos = next + 2;
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

inline std::string get_request(std::string_view path, std::string_view extra_headers = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

}  // namespace aiw::testing
