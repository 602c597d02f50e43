#include "net/http_transfer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <sys/socket.h>
#include <string_view>

namespace aiw::net {
namespace {

constexpr uint64_t kDefaultMaxResponseBytes = 16u << 20;  // the ABI's "0: host default"
constexpr std::array<std::string_view, 7> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                      "PATCH", "DELETE", "OPTIONS"};

uint64_t effective_limit(const HttpRequest& request) {
  return request.max_response_bytes == 0 ? kDefaultMaxResponseBytes : request.max_response_bytes;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  size_t bytes = size * count;
  std::string& body = transfer.response.body;
  if (body.size() + bytes > effective_limit(transfer.request)) {
    transfer.too_large = true;
    return 0;  // anything but `bytes` makes curl abort with CURLE_WRITE_ERROR
  }
  body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  auto& headers = transfer.response.headers;
  if (line.starts_with("HTTP/")) {
    headers.clear();  // a new status line (after 100 Continue): only the final block counts
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return bytes;  // blank end line, junk
  headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                       std::string(trim(line.substr(colon + 1))));
  return bytes;
}

curl_slist* build_header_list(const HttpRequest& request) {
  curl_slist* list = nullptr;
  bool has_expect = false;
  for (const auto& [name, value] : request.headers) {
    has_expect = has_expect || to_lower(name) == "expect";
    // "Name;" is curl's way of sending a header with an empty value.
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    list = curl_slist_append(list, line.c_str());
  }
  // curl sends "Expect: 100-continue" for larger bodies and waits up to a second for the
  // interim answer many servers never send; LLM prompts are often that large.
  if (!has_expect) list = curl_slist_append(list, "Expect:");
  return list;
}

struct HostPort {
  std::string host;
  std::string port;
};

HostPort host_port(const std::string& url) {
  HostPort out;
  CURLU* parsed = curl_url();
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* part = nullptr;
    if (curl_url_get(parsed, CURLUPART_HOST, &part, 0) == CURLUE_OK) out.host = part;
    curl_free(part);
    part = nullptr;
    if (curl_url_get(parsed, CURLUPART_PORT, &part, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      out.port = part;
    }
    curl_free(part);
  }
  curl_url_cleanup(parsed);
  return out;
}

struct Failure {
  aiw_http_outcome outcome;
  std::string sentence;
};

Failure describe_failure(const Transfer& transfer, CURLcode result) {
  const HttpRequest& request = transfer.request;
  std::string where = " (" + url_for_messages(request.url) + ")";
  std::string detail =
      transfer.error_buffer[0] ? transfer.error_buffer : curl_easy_strerror(result);
  // BLOCKED is permanent, so it is the answer only when the policy alone stopped the request.
  // When a host resolves to a refused address and an allowed one, and the allowed one then
  // timed out or refused the connection, that failure is what happened (and may pass).
  if (transfer.refused && !transfer.allowed_address_tried) {
    const Refusal& r = *transfer.refused;
    return {AIW_HTTP_BLOCKED, "refused to connect to " + r.address + ", " + r.reason +
                                  ", which this request's address policy does not allow" + where};
  }
  if (transfer.too_large || result == CURLE_FILESIZE_EXCEEDED) {
    return {AIW_HTTP_TOO_LARGE, "the response body exceeds the limit of " +
                                    std::to_string(effective_limit(request)) + " bytes" + where};
  }
  HostPort hp = host_port(request.url);
  std::string peer = hp.host + ":" + hp.port;
  switch (result) {
    case CURLE_OPERATION_TIMEDOUT: {
      // curl reports both limits with one code; no connect time yet means the connect phase
      // ran out, and it was the connect limit when that is the tighter one.
      curl_off_t connected_us = 0;
      curl_easy_getinfo(transfer.easy, CURLINFO_CONNECT_TIME_T, &connected_us);
      bool connect_limit = request.connect_timeout.count() > 0 &&
                           (request.timeout.count() <= 0 || request.connect_timeout < request.timeout);
      if (connected_us == 0 && connect_limit) {
        return {AIW_HTTP_TIMEOUT, "could not connect to " + peer + " within " +
                                      std::to_string(request.connect_timeout.count()) + " ms" + where};
      }
      if (request.timeout.count() > 0) {
        return {AIW_HTTP_TIMEOUT, "no complete response within " +
                                      std::to_string(request.timeout.count()) + " ms" + where};
      }
      return {AIW_HTTP_TIMEOUT, "timed out: " + detail + where};
    }
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(transfer.easy, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno == ECONNREFUSED) {
        return {AIW_HTTP_CONNECT, "connection to " + peer + " refused" + where};
      }
      return {AIW_HTTP_CONNECT, "could not connect to " + peer + ": " + detail + where};
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      return {AIW_HTTP_CONNECT, "could not resolve host '" + hp.host + "'" + where};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return {AIW_HTTP_CONNECT, "TLS with " + peer + " failed: " + detail + where};
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return {AIW_HTTP_CONNECT,
              "the connection to " + peer + " failed during the exchange: " + detail + where};
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return {AIW_HTTP_BAD_REQUEST, "the url is not a usable http(s) url: " + detail + where};
    default:
      return {AIW_HTTP_CONNECT, "the request failed: " + detail + where};
  }
}

template <typename T>
bool set(CURL* easy, CURLoption option, T value) {
  return curl_easy_setopt(easy, option, value) == CURLE_OK;
}

bool set_method_and_body(CURL* easy, const HttpRequest& request) {
  const std::string& method = request.method;
  bool ok = true;
  if (method == "HEAD") return set(easy, CURLOPT_NOBODY, 1L);
  if (method == "GET" && request.body.empty()) return set(easy, CURLOPT_HTTPGET, 1L);
  if (method == "POST" || !request.body.empty()) {
    // POSTFIELDS does not copy: the body lives in the Transfer for the whole exchange.
    ok = ok && set(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    ok = ok && set(easy, CURLOPT_POSTFIELDS, request.body.data());
  }
  if (method != "POST") ok = ok && set(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
  return ok;
}

// Runs for every connection curl opens, with the address it is about to connect to: the one
// place where the check cannot be raced by a second DNS answer.
curl_socket_t open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && transfer.guard) {
    if (auto refusal = transfer.guard->check(&address->addr)) {
      if (!transfer.refused) transfer.refused = std::move(refusal);
      return CURL_SOCKET_BAD;  // curl tries the next address, then fails COULDNT_CONNECT
    }
    transfer.allowed_address_tried = true;
  }
  return socket(address->family, address->socktype, address->protocol);
}

bool set_address_policy(Transfer& transfer, CURL* easy) {
  if (!transfer.guard) return true;
  // A pooled connection was checked (or not) for another request; a proxy's address is not
  // the target's. So: fresh connections only, kept out of the pool, never through a proxy.
  return set(easy, CURLOPT_OPENSOCKETFUNCTION, &open_socket) &&
         set(easy, CURLOPT_OPENSOCKETDATA, static_cast<void*>(&transfer)) &&
         set(easy, CURLOPT_FRESH_CONNECT, 1L) && set(easy, CURLOPT_FORBID_REUSE, 1L) &&
         set(easy, CURLOPT_NOPROXY, "*");
}

}  // namespace

Transfer::~Transfer() { curl_slist_free_all(header_list); }

std::string url_for_messages(const std::string& url) {
  return url.substr(0, url.find_first_of("?#"));
}

std::optional<std::string> validate_request(const HttpRequest& request) {
  if (request.url.empty()) return "the request has no url";
  if (!starts_with_nocase(request.url, "http://") && !starts_with_nocase(request.url, "https://")) {
    return "the url '" + url_for_messages(request.url) +
           "' is not http or https; only those are allowed";
  }
  if (std::find(kMethods.begin(), kMethods.end(), request.method) == kMethods.end()) {
    return "the method '" + request.method +
           "' is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || name.find(':') != std::string::npos || has_line_break(name) ||
        has_line_break(value)) {
      return "the header '" + name + "' has an empty name, a ':' in its name or a line break";
    }
  }
  if (request.address_policy.public_only) {
    std::string problem;
    if (!AddressGuard::make(request.address_policy, &problem)) return problem;
  }
  return std::nullopt;
}

std::optional<std::string> configure_easy(Transfer& transfer, CURL* easy) {
  const HttpRequest& request = transfer.request;
  transfer.easy = easy;
  transfer.header_list = build_header_list(request);
  if (request.address_policy.public_only) {
    transfer.guard = AddressGuard::make(request.address_policy, nullptr);
  }
  bool ok = set_address_policy(transfer, easy) &&
      set(easy, CURLOPT_PRIVATE, static_cast<void*>(&transfer)) &&
      set(easy, CURLOPT_URL, request.url.c_str()) &&
      set(easy, CURLOPT_PROTOCOLS_STR, "http,https") &&
      set(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") &&
      // No signals: the loop thread is not the main thread and curl must not use alarm().
      set(easy, CURLOPT_NOSIGNAL, 1L) &&
      set(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1)) &&
      set(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer) &&
      set(easy, CURLOPT_WRITEFUNCTION, &on_body) &&
      set(easy, CURLOPT_WRITEDATA, static_cast<void*>(&transfer)) &&
      set(easy, CURLOPT_HEADERFUNCTION, &on_header) &&
      set(easy, CURLOPT_HEADERDATA, static_cast<void*>(&transfer)) &&
      set(easy, CURLOPT_HTTPHEADER, transfer.header_list) &&
      // Fails early when Content-Length already says too much; chunked bodies are caught
      // by on_body.
      set(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(effective_limit(request))) &&
      set_method_and_body(easy, request);
  if (ok && request.timeout.count() > 0) {
    ok = set(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  }
  if (ok && request.connect_timeout.count() > 0) {
    ok = set(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  }
  if (!ok) return "curl rejected an option for " + url_for_messages(request.url);
  return std::nullopt;
}

void finish_response(Transfer& transfer, CURLcode result) {
  HttpResponse& response = transfer.response;
  curl_easy_getinfo(transfer.easy, CURLINFO_TOTAL_TIME, &response.total_seconds);
  if (result == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
    response.outcome = AIW_HTTP_OK;
    response.status = static_cast<int>(status);
    return;
  }
  Failure failure = describe_failure(transfer, result);
  response.outcome = failure.outcome;
  response.error = std::move(failure.sentence);
  if (failure.outcome == AIW_HTTP_BLOCKED) response.blocked = *transfer.refused;
  response.status = 0;
  response.headers.clear();
  response.body.clear();
}

}  // namespace aiw::net
