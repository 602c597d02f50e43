// Claim checks of a JWT whose signature has been verified (internal to gateway/jwt.cpp).
#pragma once

#include <aiw/json.h>

#include <cstdint>
#include <string>

#include "gateway/jwt.h"

namespace aiw::gateway {

// Times (exp required, nbf, iat with the configured skew), audience, role, sub, premium.
// payload_text is kept as Claims::json.
JwtResult check_claims(const Json& payload, std::string payload_text, const JwtConfig& config,
                       int64_t now_seconds);

// True for the 8-4-4-4-12 hexadecimal form, either case.
bool is_uuid(std::string_view text);

}  // namespace aiw::gateway
