// Every protected route starts here: the per-IP rate limit, then the Supabase JWT. On refusal
// the reply is sent (429 with Retry-After, or 401 with a sentence that never repeats the token)
// and nullopt returned.
#pragma once

#include <optional>

#include "gateway/gateway_impl.h"
#include "gateway/reply.h"

namespace aiw::gateway {

std::optional<Caller> authenticate(Gateway::Impl& g, const net::ServerRequest& req, const Reply& reply);
// Same, and the caller must be the service role (403 otherwise).
std::optional<Caller> authenticate_admin(Gateway::Impl& g, const net::ServerRequest& req, const Reply& reply);

// The client's address for rate limiting: the peer, or the first X-Forwarded-For entry when
// TRUST_X_FORWARDED_FOR is on (behind a proxy that sets it).
std::string client_address(const Gateway::Impl& g, const net::ServerRequest& req);

}  // namespace aiw::gateway
