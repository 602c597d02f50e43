// The token's form, header and signature; the claims are checked in jwt_claims.cpp.
#include "gateway/jwt.h"

#include <aiw/json.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <array>
#include <optional>

#include "gateway/base64url.h"
#include "gateway/jwt_claims.h"
#include "json/scratch_json.h"

namespace aiw::gateway {
namespace {

constexpr size_t kSha256Size = 32;

JwtResult fail(JwtErrorKind kind, std::string message) {
  return JwtResult(kind, std::move(message));
}

// OpenSSL 3's one-shot HMAC() looks "HMAC" and "SHA256" up in its provider tables and derives
// the key's inner and outer pads on every call: ~8 us a token, 7 % of the gateway's CPU at
// 3,000 requests/s. So each thread keeps a context keyed once per secret; initialising it again
// without a key starts a new MAC from the pads already derived.
class KeyedHmac {
 public:
  ~KeyedHmac() {
    EVP_MAC_CTX_free(ctx_);
    OPENSSL_cleanse(key_.data(), key_.size());
  }
  bool mac(std::string_view key, std::string_view data, unsigned char* out) {
    if (!ready(key)) return false;
    size_t size = 0;
    return EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
           EVP_MAC_final(ctx_, out, &size, kSha256Size) == 1 && size == kSha256Size;
  }

 private:
  bool ready(std::string_view key) {
    if (ctx_ != nullptr && key_ == key) return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // shared, never freed
    EVP_MAC_CTX_free(ctx_);
    OPENSSL_cleanse(key_.data(), key_.size());
    key_.clear();
    ctx_ = hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr;
    if (ctx_ == nullptr) return false;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    static const unsigned char kEmpty = 0;  // a null key would mean "keep the current key"
    const unsigned char* bytes = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(ctx_, bytes, key.size(), params) != 1) {
      EVP_MAC_CTX_free(ctx_);
      ctx_ = nullptr;
      return false;
    }
    key_.assign(key);
    return true;
  }

  EVP_MAC_CTX* ctx_ = nullptr;
  std::string key_;  // the key ctx_ holds
};

std::array<unsigned char, kSha256Size> hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, kSha256Size> mac{};
  thread_local KeyedHmac keyed;
  if (keyed.mac(key, data, mac.data())) return mac;
  // Not expected; the one-shot call is slower but needs no state.
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size);
  return mac;
}

// Decodes a segment into a JSON object; nullopt-like false on any failure.
bool decode_json_object(std::string_view segment, Json& out) {
  std::optional<std::string> text = base64url_decode(segment);
  return text && parse_json(*text, out) && out.IsObject();
}

// Names the algorithm in a sentence only when it is one we know, so text chosen by whoever sent
// the token never reaches a log line.
std::optional<std::string_view> known_algorithm(std::string_view alg) {
  static constexpr std::array<std::string_view, 13> kKnown = {
      "none",  "HS384", "HS512", "RS256", "RS384", "RS512", "ES256",
      "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"};
  for (std::string_view known : kKnown) {
    if (alg == known) return known;
  }
  return std::nullopt;
}

JwtResult refuse_algorithm(std::string_view alg, const JwtConfig& config) {
  std::optional<std::string_view> known = known_algorithm(alg);
  if (known == "none") {
    return fail(JwtErrorKind::kUnsupportedAlgorithm,
                "the access token is unsigned (alg none), which is never accepted; send the "
                "token Supabase issued");
  }
  if (known && known->substr(0, 2) == "HS") {
    return fail(JwtErrorKind::kUnsupportedAlgorithm,
                "the access token is signed with " + std::string(*known) +
                    ", but Supabase signs with HS256 and only HS256 is accepted");
  }
  if (known) {
    return fail(JwtErrorKind::kUnsupportedAlgorithm,
                "the access token is signed with " + std::string(*known) +
                    ": asymmetric JWT (ES256/RS256) needs a JWKS, which this gateway does not "
                    "fetch; set the Supabase project to sign with its legacy HS256 JWT secret "
                    "and give that secret to the gateway in " +
                    config.secret_setting);
  }
  return fail(JwtErrorKind::kUnsupportedAlgorithm,
              "the access token names an algorithm this gateway does not know; only HS256 is "
              "accepted");
}

JwtResult check_header(const Json& header, const JwtConfig& config) {
  const JsonValue* alg = find_member(header, "alg");
  if (alg == nullptr || !alg->IsString()) {
    return fail(JwtErrorKind::kMalformed, "the access token's header has no algorithm (alg)");
  }
  std::string_view name(alg->GetString(), alg->GetStringLength());
  if (name != "HS256") return refuse_algorithm(name, config);
  // RFC 7515 section 4.1.11: a recipient that does not understand a critical extension must
  // refuse the token rather than ignore it.
  if (find_member(header, "crit") != nullptr) {
    return fail(JwtErrorKind::kUnsupportedAlgorithm,
                "the access token's header lists critical extensions (crit), which this gateway "
                "does not implement");
  }
  return Claims{};
}

}  // namespace

JwtResult verify_supabase_jwt(std::string_view token, const JwtConfig& config,
                              int64_t now_seconds) {
  if (config.secret.empty()) {
    return fail(JwtErrorKind::kNotConfigured,
                "the gateway has no JWT secret, so it cannot "
                "verify any token; set " +
                    config.secret_setting + " to the Supabase project's JWT secret");
  }
  if (token.empty()) {
    return fail(JwtErrorKind::kMissing,
                "no access token; send the Supabase session's access token as "
                "'Authorization: Bearer <token>'");
  }
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return fail(JwtErrorKind::kMalformed,
                "the access token is not a JWT: it must be three "
                "base64url segments separated by dots");
  }
  std::string_view header_part = token.substr(0, first);
  std::string_view payload_part = token.substr(first + 1, second - first - 1);
  std::string_view signature_part = token.substr(second + 1);

  json::ScratchJson header_doc;
  Json& header = header_doc.doc();
  if (!decode_json_object(header_part, header)) {
    return fail(JwtErrorKind::kMalformed,
                "the access token's header is not base64url-encoded JSON object text");
  }
  if (JwtResult checked = check_header(header, config); !checked) return checked;

  std::optional<std::string> signature = base64url_decode(signature_part);
  if (!signature) {
    return fail(JwtErrorKind::kMalformed, "the access token's signature is not base64url");
  }
  auto expected = hmac_sha256(config.secret, token.substr(0, second));
  // CRYPTO_memcmp takes the same time wherever the bytes differ, so the response time does not
  // tell an attacker how much of a forged signature was right.
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return fail(JwtErrorKind::kBadSignature,
                "the access token's signature does not match: it was signed with another secret "
                "(another Supabase project?) or altered; sign in again, or check " +
                    config.secret_setting);
  }

  // Only now, with the signature good, is the payload trusted enough to read.
  std::optional<std::string> payload_text = base64url_decode(payload_part);
  json::ScratchJson payload_doc;
  Json& payload = payload_doc.doc();
  if (!payload_text || !parse_json(*payload_text, payload) || !payload.IsObject()) {
    return fail(JwtErrorKind::kMalformed,
                "the access token's payload is not base64url-encoded JSON object text");
  }
  return check_claims(payload, std::move(*payload_text), config, now_seconds);
}

std::string_view bearer_token(std::string_view header) {
  auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!header.empty() && is_blank(header.front())) header.remove_prefix(1);
  while (!header.empty() && is_blank(header.back())) header.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !is_blank(header[kScheme.size()])) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && is_blank(header.front())) header.remove_prefix(1);
  return header;
}

std::string_view jwt_error_name(JwtErrorKind kind) {
  switch (kind) {
    case JwtErrorKind::kNone:
      return "ok";
    case JwtErrorKind::kMissing:
      return "missing";
    case JwtErrorKind::kMalformed:
      return "malformed";
    case JwtErrorKind::kUnsupportedAlgorithm:
      return "unsupported_algorithm";
    case JwtErrorKind::kBadSignature:
      return "bad_signature";
    case JwtErrorKind::kExpired:
      return "expired";
    case JwtErrorKind::kNotYetValid:
      return "not_yet_valid";
    case JwtErrorKind::kIssuedInFuture:
      return "issued_in_future";
    case JwtErrorKind::kWrongAudience:
      return "wrong_audience";
    case JwtErrorKind::kMissingSubject:
      return "missing_subject";
    case JwtErrorKind::kInvalidClaim:
      return "invalid_claim";
    case JwtErrorKind::kNotConfigured:
      return "not_configured";
  }
  return "unknown";
}

std::string_view postgrest_code(JwtErrorKind kind) {
  switch (kind) {
    case JwtErrorKind::kNone:
      return "";
    case JwtErrorKind::kMissing:
      return "PGRST302";
    case JwtErrorKind::kExpired:
    case JwtErrorKind::kNotYetValid:
    case JwtErrorKind::kIssuedInFuture:
    case JwtErrorKind::kWrongAudience:
    case JwtErrorKind::kMissingSubject:
    case JwtErrorKind::kInvalidClaim:
      return "PGRST303";
    default:
      return "PGRST301";
  }
}

std::string sign_hs256_for_tests(std::string_view claims_json, std::string_view secret,
                                 std::string_view header_json) {
  std::string signing_input = base64url_encode(header_json) + "." + base64url_encode(claims_json);
  auto mac = hmac_sha256(secret, signing_input);
  std::string_view mac_bytes(reinterpret_cast<const char*>(mac.data()), mac.size());
  return signing_input + "." + base64url_encode(mac_bytes);
}

}  // namespace aiw::gateway
