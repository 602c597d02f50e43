// The little URL handling image.fetch needs: split a URL to check its scheme and host, and
// resolve a redirect's Location against the URL that answered it. The query string is
// carried through untouched (S3/MinIO presigned URLs sign it byte for byte).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace image_fetch {

struct Url {
  std::string scheme;  // lower-case: "http" or "https"
  std::string host;    // lower-case, IPv6 without brackets
  std::string rest;    // path, query and fragment as written ("/a/b?X-Amz-Signature=...")
  std::string origin;  // "https://host:port" as written, for relative redirects
};

// nullopt when the text is not an absolute http(s) URL with a host, or holds characters
// (whitespace, backslash, credentials) that different parsers read differently.
std::optional<Url> parse_url(std::string_view text);

// The absolute URL a Location header points to, seen from `base`.
std::string resolve_location(const Url& base, std::string_view location);

// The URL without its query and fragment: those carry signatures that must not reach logs.
std::string url_for_messages(std::string_view url);

}  // namespace image_fetch
