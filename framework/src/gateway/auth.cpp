#include "gateway/auth.h"

#include <chrono>

namespace aiw::gateway {

std::string client_address(const Gateway::Impl& g, const net::ServerRequest& req) {
  if (g.config.trust_forwarded_for) {
    std::string_view xff = req.header("x-forwarded-for");
    if (!xff.empty()) {
      std::string_view first = xff.substr(0, xff.find(','));
      while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
      while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
      if (!first.empty()) return std::string(first);
    }
  }
  return req.remote_address;
}

std::optional<Caller> authenticate(Gateway::Impl& g, const net::ServerRequest& req, const Reply& reply) {
  RateDecision rate = g.limiter->check(client_address(g, req), RateLimiter::Clock::now());
  if (!rate.allowed) {
    g.metrics.rate_limited.add();
    auto r = net::json_error(429, "rate_limited",
                             "too many requests from this address (" +
                                 std::to_string(g.config.rate_limit_per_minute) +
                                 " a minute); try again in " + std::to_string(rate.retry_after_seconds) + " s");
    r.set_header("Retry-After", std::to_string(rate.retry_after_seconds));
    reply.send(std::move(r));
    return std::nullopt;
  }
  std::string_view token = bearer_token(req.header("authorization"));
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  JwtResult verified = verify_supabase_jwt(token, g.jwt, now);
  if (!verified.ok()) {
    g.metrics.auth_failures.add();
    auto r = net::json_error(401, jwt_error_name(verified.kind()), verified.error());
    r.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    reply.send(std::move(r));
    return std::nullopt;
  }
  const Claims& claims = verified.value();
  if (!claims.is_service_role() && claims.sub.empty()) {
    g.metrics.auth_failures.add();
    reply.error(401, "missing_subject", "the token names no user (sub); sign in and send the user's access token");
    return std::nullopt;
  }
  return Caller{claims};
}

std::optional<Caller> authenticate_admin(Gateway::Impl& g, const net::ServerRequest& req, const Reply& reply) {
  auto caller = authenticate(g, req, reply);
  if (caller && !caller->service()) {
    reply.error(403, "forbidden", "this route is for the service role");
    return std::nullopt;
  }
  return caller;
}

}  // namespace aiw::gateway
