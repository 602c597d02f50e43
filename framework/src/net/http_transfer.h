// One HTTP exchange on the IoLoop: the curl easy handle's configuration, its callbacks and the
// mapping of curl's result to an HttpResponse. Used only on the loop thread.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <optional>
#include <string>

#include "net/io_loop.h"

namespace aiw::net {

struct Transfer {
  IoLoop::RequestId id = 0;
  HttpRequest request;
  std::function<void(HttpResponse&&)> done;
  HttpResponse response;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  bool too_large = false;  // set by the write callback when the body passed the limit
  std::optional<AddressGuard> guard;  // set when the request has an address policy
  std::optional<Refusal> refused;     // the first address the guard refused
  bool allowed_address_tried = false; // a connection was opened to an address the guard allowed
  char error_buffer[CURL_ERROR_SIZE] = {};

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer();
};

// Returns a sentence when the request cannot be sent at all (AIW_HTTP_BAD_REQUEST).
std::optional<std::string> validate_request(const HttpRequest& request);

// Configures `easy` (fresh or reset) for the transfer; a sentence on failure.
std::optional<std::string> configure_easy(Transfer& transfer, CURL* easy);

// Fills transfer.response from the finished easy handle and curl's result.
void finish_response(Transfer& transfer, CURLcode result);

// The url without query and fragment: those often carry API keys, and error sentences end up
// in logs.
std::string url_for_messages(const std::string& url);

}  // namespace aiw::net
