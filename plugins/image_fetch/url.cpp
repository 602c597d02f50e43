#include "url.h"

#include <algorithm>
#include <cctype>

namespace image_fetch {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), ended by ':'. A Location
// is absolute only when it starts so; "/login?next=https://x/a.png" holds "://" in its query
// and is still relative.
bool has_scheme(std::string_view location) {
  size_t colon = location.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  if (!std::isalpha(static_cast<unsigned char>(location[0]))) return false;
  return std::all_of(location.begin(), location.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
  if (text.find_first_of(" \t\r\n\\") != std::string_view::npos) return std::nullopt;
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  Url url;
  url.scheme = lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view after = text.substr(colon + 3);
  size_t end = after.find_first_of("/?#");
  std::string_view authority = after.substr(0, end);
  // user:password@host hides the real host from a naive reader; no image link needs it.
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  url.origin = std::string(text.substr(0, colon + 3)) + std::string(authority);
  url.rest = end == std::string_view::npos ? "/" : std::string(after.substr(end));
  std::string_view host = authority;
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = host.substr(1, close - 1);
  } else if (size_t port = host.rfind(':'); port != std::string_view::npos) {
    host = host.substr(0, port);
  }
  if (host.empty()) return std::nullopt;
  url.host = lower(host);
  return url;
}

std::string resolve_location(const Url& base, std::string_view location) {
  // An absolute Location with another scheme (ftp:, javascript:) is kept as written so that
  // parse_url refuses it with a sentence.
  if (has_scheme(location)) return std::string(location);
  if (location.starts_with("//")) return base.scheme + ":" + std::string(location);
  if (location.starts_with("/")) return base.origin + std::string(location);
  // A bare "#fragment" keeps path and query; a bare "?query" replaces only the query;
  // anything else is relative to the current path's folder.
  if (location.starts_with("#")) {
    return base.origin + base.rest.substr(0, base.rest.find('#')) + std::string(location);
  }
  std::string path = base.rest.substr(0, base.rest.find_first_of("?#"));
  if (location.starts_with("?")) return base.origin + path + std::string(location);
  path = path.substr(0, path.rfind('/') + 1);
  return base.origin + path + std::string(location);
}

std::string url_for_messages(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

}  // namespace image_fetch
