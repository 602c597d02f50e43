// Supabase access-token verification for the gateway (protocols.md section 4).
//
// Supabase signs user tokens and the legacy anon/service_role keys with HS256 and the project's
// JWT secret (its raw UTF-8 bytes). This checks what PostgREST checks, with the same 30 s clock
// skew: the signature (constant-time comparison), exp (required), nbf, iat not in the future, the
// audience (a string must equal it, an array must contain it, none is accepted), and then reads
// the role, the user id and the premium flag the gateway acts on.
//
// Only HS256 is accepted, deliberately: "alg" comes from the attacker, so anything else (none,
// HS384/HS512, RS256/ES256 which would need a JWKS this gateway does not fetch) is refused.
//
//   JwtConfig config;
//   config.secret = env_secret;
//   JwtResult r = verify_supabase_jwt(bearer_token(authorization), config, unix_now);
//   if (!r) return respond(401, postgrest_code(r.kind()), r.error());
//   if (!r->is_service_role() && r->sub != job.user_id) return respond(404, ...);
//
// No error sentence ever holds the token, a claim value or the secret (logs must not carry them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace aiw::gateway {

struct JwtConfig {
  // The project's JWT secret, used as raw bytes (Supabase's legacy HS256 keys). Must not be empty.
  std::string secret;
  // What error sentences tell the operator to set (the secret's variable name in the gateway).
  std::string secret_setting = "SUPABASE_JWT_SECRET";
  // nullopt: no audience check.
  std::optional<std::string> audience = "authenticated";
  // PostgREST's allowance for clocks that disagree, applied to exp, nbf and iat.
  int64_t clock_skew_seconds = 30;
  // Dot-separated path of the claim that marks a premium user ("app_metadata.plan"; a leading
  // "$." is allowed). Empty: nobody is premium. The claim may be a string, a bool or an array.
  std::string premium_claim_path = "app_metadata.plan";
  // Values of that claim that mean premium (a bool claim matches "true" / "false").
  std::vector<std::string> premium_values = {"premium"};
};

// What a verified token says. The role defaults to "anon" when the claim is absent, as in
// PostgREST (jwt-role-claim-key $.role, db-anon-role anon).
struct Claims {
  std::string sub;               // user UUID; empty for the anon and service_role keys
  std::string role = "anon";     // "authenticated", "anon", "service_role", or a custom role
  std::string email;             // empty when absent
  std::vector<std::string> aud;  // the audience(s); empty when absent
  int64_t exp = 0;               // Unix seconds
  std::optional<int64_t> iat;
  std::optional<int64_t> nbf;
  bool is_premium = false;  // the configured premium claim matched
  std::string json;         // the payload as signed: for request.jwt.claims and later use

  bool is_service_role() const { return role == "service_role"; }
  bool is_authenticated() const { return role == "authenticated"; }
};

enum class JwtErrorKind {
  kNone,                  // verified
  kMissing,               // no token at all
  kMalformed,             // not three base64url segments of JSON objects
  kUnsupportedAlgorithm,  // alg is not HS256 (or a crit header we do not understand)
  kBadSignature,          // signed with another secret, or altered after signing
  kExpired,               // exp + skew has passed, or exp is absent
  kNotYetValid,           // nbf - skew is still ahead
  kIssuedInFuture,        // iat - skew is still ahead
  kWrongAudience,         // aud present but not the configured audience
  kMissingSubject,        // an authenticated-role token without sub
  kInvalidClaim,          // a claim of the wrong type, or sub that is not a UUID
  kNotConfigured,         // the gateway has no secret: nothing can be verified
};

// Verified claims, or the kind of failure and a sentence for the caller.
class JwtResult {
 public:
  JwtResult(Claims claims) : claims_(std::move(claims)) {}  // NOLINT: implicit by design
  JwtResult(JwtErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  bool ok() const { return kind_ == JwtErrorKind::kNone; }
  explicit operator bool() const { return ok(); }
  JwtErrorKind kind() const { return kind_; }
  const std::string& error() const { return message_; }
  Status status() const { return ok() ? Status() : Status::error(message_); }
  const Claims& value() const { return claims_; }
  Claims& value() { return claims_; }
  const Claims& operator*() const { return claims_; }
  const Claims* operator->() const { return &claims_; }

 private:
  Claims claims_;
  JwtErrorKind kind_ = JwtErrorKind::kNone;
  std::string message_;
};

// Verifies token (the bare JWT, no "Bearer ") at now_seconds (Unix time).
JwtResult verify_supabase_jwt(std::string_view token, const JwtConfig& config, int64_t now_seconds);

// The token of an Authorization header value: "Bearer <token>" with the scheme matched in any
// case and blanks trimmed around both. Empty when the header is not a Bearer credential.
std::string_view bearer_token(std::string_view authorization_header);

// A stable name for logs and metrics labels ("expired", "bad_signature", ...).
std::string_view jwt_error_name(JwtErrorKind kind);

// PostgREST's code for the failure (PGRST301 undecodable/invalid, PGRST302 no token, PGRST303
// claims rejected), so the gateway answers 401 with the body clients already understand.
std::string_view postgrest_code(JwtErrorKind kind);

// An HS256 JWT of claims_json (sent as is) under secret, with header_json as its header. For
// tests, benchmarks and fakes that must mint tokens; the gateway itself never signs.
std::string sign_hs256_for_tests(std::string_view claims_json, std::string_view secret,
                                 std::string_view header_json = R"({"alg":"HS256","typ":"JWT"})");

}  // namespace aiw::gateway
