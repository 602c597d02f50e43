#include "image_url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

// The host's own table of non-public ranges, compiled in here so that a URL handed to the
// service is judged by the same rules as an address the host connects to.
#include "net/address_policy.h"

namespace yolo {
namespace {

struct UrlParts {
  std::string scheme, host;  // lower-case; an IPv6 host without brackets
  bool has_credentials = false;
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::optional<std::string> part(CURLU* url, CURLUPart which) {
  char* text = nullptr;
  if (curl_url_get(url, which, &text, 0) != CURLUE_OK) return std::nullopt;
  std::string out(text);
  curl_free(text);
  return out;
}

std::optional<UrlParts> split(const std::string& text) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), &curl_url_cleanup);
  // No CURLU_NON_SUPPORT_SCHEME: a scheme curl does not speak is refused here already.
  if (curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return std::nullopt;
  UrlParts out;
  std::optional<std::string> scheme = part(url.get(), CURLUPART_SCHEME);
  std::optional<std::string> host = part(url.get(), CURLUPART_HOST);
  if (!scheme || !host || host->empty()) return std::nullopt;
  out.scheme = lower(*scheme);
  out.host = lower(*host);
  if (out.host.size() > 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  out.has_credentials = part(url.get(), CURLUPART_USER).has_value();
  return out;
}

// The 16-byte form the host's tables use (IPv4 as ::ffff:a.b.c.d), when `host` is a literal
// address in the standard notation.
std::optional<std::array<uint8_t, 16>> literal_address(const std::string& host) {
  std::array<uint8_t, 16> bytes{};
  uint8_t v4[4];
  if (inet_pton(AF_INET, host.c_str(), v4) == 1) {
    bytes[10] = bytes[11] = 0xff;
    std::copy(v4, v4 + 4, bytes.begin() + 12);
    return bytes;
  }
  if (inet_pton(AF_INET6, host.c_str(), bytes.data()) == 1) return bytes;
  return std::nullopt;
}

// "127.1", "0x7f.0.0.1", "2130706433": IPv4 in the forms inet_aton still reads. Parsers
// disagree on them, so what we would check is not surely what the service connects to.
bool legacy_ipv4(const std::string& host) {
  in_addr ignored{};
  return inet_aton(host.c_str(), &ignored) != 0;
}

}  // namespace

std::optional<std::string> image_url_problem(const std::string& text, const aiw::plugin_common::AddressLists& policy) {
  std::string shown = text.substr(0, text.find_first_of("?#"));  // signatures stay out of logs
  std::optional<UrlParts> url = split(text);
  if (!url || (url->scheme != "https" && url->scheme != "http")) {
    return "yolo.detect: image_url '" + shown + "' is not an absolute http(s) URL";
  }
  if (url->has_credentials) {
    return "yolo.detect: image_url '" + shown + "' holds credentials; no image link needs them";
  }
  if (url->scheme == "http" && std::find(policy.http_hosts.begin(), policy.http_hosts.end(),
                                         url->host) == policy.http_hosts.end()) {
    return "yolo.detect: image_url '" + shown +
           "' uses plain http; only https is allowed (or list the host in http_hosts)";
  }
  std::optional<std::array<uint8_t, 16>> address = literal_address(url->host);
  if (!address) {
    if (legacy_ipv4(url->host)) {
      return "yolo.detect: image_url '" + shown +
             "' gives its host as an IPv4 address in a non-standard form; write it as a.b.c.d";
    }
    return std::nullopt;
  }
  std::optional<std::string> reason = aiw::net::non_public_reason(*address);
  if (!reason) return std::nullopt;
  for (const std::string& text_network : policy.allow_networks) {
    std::optional<aiw::net::Network> network = aiw::net::Network::parse(text_network);
    if (!network) {
      return "yolo.detect: the allowed network '" + text_network +
             "' is not an address or address/prefix such as 10.20.0.0/16";
    }
    if (network->contains(*address)) return std::nullopt;
  }
  return "yolo.detect: image_url points to " + url->host + ", " + *reason +
         "; the YOLO service would fetch it from inside our network (list its network in "
         "allow_networks to allow it)";
}

}  // namespace yolo
