// base64url without padding (RFC 4648 section 5), the alphabet of JWT segments (RFC 7515).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aiw::gateway {

// Encodes bytes as unpadded base64url.
std::string base64url_encode(std::string_view bytes);

// Decodes unpadded base64url; nullopt on any character outside [A-Za-z0-9_-] (padding '='
// included: JWS segments never carry it), on an impossible length (4k+1), or on non-zero
// spare bits in the last character. The last rule makes decoding one-to-one, so a signature
// has exactly one spelling and a token cannot be altered without breaking it.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace aiw::gateway
