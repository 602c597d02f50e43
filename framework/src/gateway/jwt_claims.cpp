#include "gateway/jwt_claims.h"

#include <cmath>
#include <optional>

namespace aiw::gateway {
namespace {

JwtResult fail(JwtErrorKind kind, std::string message) {
  return JwtResult(kind, std::move(message));
}

JwtResult invalid(std::string_view claim, std::string_view what) {
  return fail(JwtErrorKind::kInvalidClaim,
              "the access token's " + std::string(claim) + " claim " + std::string(what));
}

std::string_view view(const JsonValue& value) {
  return std::string_view(value.GetString(), value.GetStringLength());
}

// A NumericDate (RFC 7519: seconds, possibly fractional) as whole seconds; nullopt when the
// value is not a finite number. Huge values saturate rather than overflow.
std::optional<int64_t> numeric_date(const JsonValue& value) {
  if (value.IsInt64()) return value.GetInt64();
  if (value.IsUint64()) return INT64_MAX;
  if (!value.IsNumber()) return std::nullopt;
  double seconds = value.GetDouble();
  if (!std::isfinite(seconds)) return std::nullopt;
  if (seconds >= 9.0e18) return INT64_MAX;
  if (seconds <= -9.0e18) return INT64_MIN;
  return static_cast<int64_t>(std::floor(seconds));
}

// Reads an optional time claim into out; false (with error set) when present but not a number.
bool read_time(const Json& payload, std::string_view name, std::optional<int64_t>& out,
               JwtResult& error) {
  const JsonValue* value = find_member(payload, name);
  if (value == nullptr) return true;
  out = numeric_date(*value);
  if (!out) error = invalid(name, "is not a number of seconds");
  return out.has_value();
}

// Comparisons keep now on the side that gets the skew, so no claim value can overflow them.
JwtResult check_times(const Json& payload, const JwtConfig& config, int64_t now, Claims& claims) {
  JwtResult error = Claims{};
  std::optional<int64_t> exp;
  if (!read_time(payload, "exp", exp, error) || !read_time(payload, "nbf", claims.nbf, error) ||
      !read_time(payload, "iat", claims.iat, error)) {
    return error;
  }
  int64_t skew = config.clock_skew_seconds;
  if (!exp) {
    return fail(JwtErrorKind::kExpired,
                "the access token has no expiry (exp), and tokens that never expire are refused");
  }
  claims.exp = *exp;
  if (now - skew >= *exp) {
    return fail(JwtErrorKind::kExpired,
                "the access token expired; refresh the Supabase session and send the new token");
  }
  if (claims.nbf && *claims.nbf > now + skew) {
    return fail(JwtErrorKind::kNotYetValid,
                "the access token is not valid yet (nbf is ahead of this clock by more than " +
                    std::to_string(skew) + " s); check the clocks of the issuer and the gateway");
  }
  if (claims.iat && *claims.iat > now + skew) {
    return fail(JwtErrorKind::kIssuedInFuture,
                "the access token was issued in the future (iat is ahead of this clock by more "
                "than " +
                    std::to_string(skew) + " s); check the clocks of the issuer and the gateway");
  }
  return error;
}

JwtResult check_audience(const Json& payload, const JwtConfig& config, Claims& claims) {
  const JsonValue* aud = find_member(payload, "aud");
  if (aud == nullptr) return Claims{};  // protocols.md 4.2: a missing aud is accepted
  if (aud->IsString()) {
    claims.aud.emplace_back(view(*aud));
  } else if (aud->IsArray()) {
    for (const JsonValue& item : aud->GetArray()) {
      if (!item.IsString()) return invalid("aud", "holds something other than strings");
      claims.aud.emplace_back(view(item));
    }
  } else {
    return invalid("aud", "is neither a string nor an array of strings");
  }
  if (!config.audience) return Claims{};
  for (const std::string& audience : claims.aud) {
    if (audience == *config.audience) return Claims{};
  }
  return fail(JwtErrorKind::kWrongAudience,
              "the access token is meant for another audience; this gateway accepts \"" +
                  *config.audience + "\" (a token from another project or service?)");
}

bool matches_premium(const JsonValue& value, const JwtConfig& config) {
  std::string text;
  if (value.IsString()) {
    text = view(value);
  } else if (value.IsBool()) {
    text = value.GetBool() ? "true" : "false";
  } else if (value.IsArray()) {
    for (const JsonValue& item : value.GetArray()) {
      if (!item.IsArray() && matches_premium(item, config)) return true;
    }
    return false;
  } else {
    return false;
  }
  for (const std::string& premium : config.premium_values) {
    if (text == premium) return true;
  }
  return false;
}

bool is_premium(const Json& payload, const JwtConfig& config) {
  std::string_view path = config.premium_claim_path;
  if (path.substr(0, 2) == "$.") path.remove_prefix(2);
  if (path.empty()) return false;
  const JsonValue* value = &payload;
  while (value != nullptr) {
    size_t dot = path.find('.');
    value = find_member(*value, std::string(path.substr(0, dot)));  // NUL-terminated on purpose
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  return value != nullptr && matches_premium(*value, config);
}

// Reads an optional string claim; false when present with another type.
bool read_string(const Json& payload, std::string_view name, std::string& out) {
  const JsonValue* value = find_member(payload, name);
  if (value == nullptr) return true;
  if (!value->IsString()) return false;
  out = view(*value);
  return true;
}

}  // namespace

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

JwtResult check_claims(const Json& payload, std::string payload_text, const JwtConfig& config,
                       int64_t now_seconds) {
  Claims claims;
  if (JwtResult r = check_times(payload, config, now_seconds, claims); !r) return r;
  if (JwtResult r = check_audience(payload, config, claims); !r) return r;
  if (!read_string(payload, "role", claims.role)) return invalid("role", "is not a string");
  if (!read_string(payload, "sub", claims.sub)) return invalid("sub", "is not a string");
  // email is informative only: GoTrue may send "" and other issuers may send null.
  (void)read_string(payload, "email", claims.email);
  if (!claims.sub.empty() && !is_uuid(claims.sub)) {
    return invalid("sub", "is not a UUID (Supabase user ids are)");
  }
  if (claims.sub.empty() && claims.is_authenticated()) {
    return fail(JwtErrorKind::kMissingSubject,
                "the access token has the authenticated role but no subject (sub), so it names "
                "no user; send a user's session token");
  }
  claims.is_premium = is_premium(payload, config);
  claims.json = std::move(payload_text);
  return claims;
}

}  // namespace aiw::gateway
