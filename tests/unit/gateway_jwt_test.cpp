// Supabase token verification (gateway/jwt.h): each test names the check it proves.
#include <gtest/gtest.h>

#include <string>

#include "gateway/base64url.h"
#include "gateway/jwt.h"

namespace aiw::gateway {
namespace {

constexpr char kSecret[] = "super-secret-jwt-token-with-at-least-32-characters-long";
constexpr int64_t kNow = 1'700'000'000;
constexpr char kUser[] = "123e4567-e89b-12d3-a456-426614174000";

JwtConfig config() {
  JwtConfig c;
  c.secret = kSecret;
  return c;
}

// A GoTrue-shaped user token payload with the given extra members (JSON text without braces).
std::string user_claims(const std::string& extra = "") {
  std::string json = R"({"sub":")" + std::string(kUser) +
                     R"(","role":"authenticated","email":"user@example.com","aud":"authenticated",)"
                     R"("iat":)" +
                     std::to_string(kNow - 60) +
                     R"(,"app_metadata":{"provider":"email","providers":["email"]})";
  if (extra.find("\"exp\"") == std::string::npos)
    json += R"(,"exp":)" + std::to_string(kNow + 3600);
  if (!extra.empty()) json += "," + extra;
  return json + "}";
}

std::string sign(const std::string& claims) { return sign_hs256_for_tests(claims, kSecret); }

JwtResult verify(std::string_view token, const JwtConfig& c = config()) {
  return verify_supabase_jwt(token, c, kNow);
}

// Checks the kind and that the sentence leaks neither the token nor the secret.
void expect_refused(const JwtResult& r, JwtErrorKind kind, std::string_view token = {}) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.kind(), kind) << r.error();
  EXPECT_FALSE(r.error().empty());
  EXPECT_EQ(r.error().find(kSecret), std::string::npos);
  if (!token.empty()) {
    EXPECT_EQ(r.error().find(token), std::string::npos);
  }
}

TEST(GatewayJwt, ValidUserTokenYieldsItsClaims) {
  std::string claims = user_claims();
  JwtResult r = verify(sign(claims));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->sub, kUser);
  EXPECT_EQ(r->role, "authenticated");
  EXPECT_EQ(r->email, "user@example.com");
  EXPECT_EQ(r->aud, std::vector<std::string>{"authenticated"});
  EXPECT_EQ(r->exp, kNow + 3600);
  EXPECT_EQ(r->iat, kNow - 60);
  EXPECT_TRUE(r->is_authenticated());
  EXPECT_FALSE(r->is_service_role());
  EXPECT_FALSE(r->is_premium);
  EXPECT_EQ(r->json, claims);
}

TEST(GatewayJwt, ExpiredBeyondSkewIsRefused) {
  std::string token = sign(user_claims(R"("exp":)" + std::to_string(kNow - 31)));
  expect_refused(verify(token), JwtErrorKind::kExpired, token);
}

TEST(GatewayJwt, ExpiredWithinSkewIsAccepted) {
  EXPECT_TRUE(verify(sign(user_claims(R"("exp":)" + std::to_string(kNow - 29)))).ok());
}

TEST(GatewayJwt, TokenWithoutExpiryIsRefused) {
  std::string claims = R"({"sub":")" + std::string(kUser) + R"(","role":"authenticated"})";
  expect_refused(verify(sign(claims)), JwtErrorKind::kExpired);
}

TEST(GatewayJwt, NotBeforeInTheFutureIsRefusedButWithinSkewAccepted) {
  expect_refused(verify(sign(user_claims(R"("nbf":)" + std::to_string(kNow + 31)))),
                 JwtErrorKind::kNotYetValid);
  EXPECT_TRUE(verify(sign(user_claims(R"("nbf":)" + std::to_string(kNow + 29)))).ok());
}

TEST(GatewayJwt, IssuedInTheFutureIsRefusedButWithinSkewAccepted) {
  std::string future = R"({"sub":")" + std::string(kUser) + R"(","role":"authenticated","exp":)" +
                       std::to_string(kNow + 3600);
  expect_refused(verify(sign(future + R"(,"iat":)" + std::to_string(kNow + 31) + "}")),
                 JwtErrorKind::kIssuedInFuture);
  EXPECT_TRUE(verify(sign(future + R"(,"iat":)" + std::to_string(kNow + 29) + "}")).ok());
}

TEST(GatewayJwt, NonNumericTimeClaimIsRefused) {
  expect_refused(verify(sign(user_claims(R"("exp":"tomorrow")"))), JwtErrorKind::kInvalidClaim);
}

TEST(GatewayJwt, WrongAudienceStringIsRefused) {
  std::string claims = R"({"sub":")" + std::string(kUser) +
                       R"(","role":"authenticated","aud":"other","exp":)" +
                       std::to_string(kNow + 60) + "}";
  expect_refused(verify(sign(claims)), JwtErrorKind::kWrongAudience);
}

TEST(GatewayJwt, AudienceArrayMustContainTheConfiguredAudience) {
  std::string head = R"({"sub":")" + std::string(kUser) + R"(","role":"authenticated","exp":)" +
                     std::to_string(kNow + 60) + R"(,"aud":)";
  expect_refused(verify(sign(head + R"(["a","b"]})")), JwtErrorKind::kWrongAudience);
  JwtResult r = verify(sign(head + R"(["a","authenticated"]})"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->aud, (std::vector<std::string>{"a", "authenticated"}));
}

TEST(GatewayJwt, MissingAudienceIsAccepted) {
  std::string claims = R"({"sub":")" + std::string(kUser) + R"(","role":"authenticated","exp":)" +
                       std::to_string(kNow + 60) + "}";
  JwtResult r = verify(sign(claims));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->aud.empty());
}

TEST(GatewayJwt, AudienceCheckCanBeTurnedOff) {
  JwtConfig c = config();
  c.audience.reset();
  std::string claims = R"({"sub":")" + std::string(kUser) +
                       R"(","role":"authenticated","aud":"other","exp":)" +
                       std::to_string(kNow + 60) + "}";
  EXPECT_TRUE(verify(sign(claims), c).ok());
}

TEST(GatewayJwt, AlgNoneIsRefused) {
  std::string unsigned_token = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                               base64url_encode(user_claims()) + ".";
  expect_refused(verify(unsigned_token), JwtErrorKind::kUnsupportedAlgorithm);
  // Even "signed" with our secret, alg none stays refused.
  std::string token = sign_hs256_for_tests(user_claims(), kSecret, R"({"alg":"none"})");
  expect_refused(verify(token), JwtErrorKind::kUnsupportedAlgorithm);
}

TEST(GatewayJwt, Hs512IsRefusedWithASentenceNamingHs256) {
  std::string token = sign_hs256_for_tests(user_claims(), kSecret, R"({"alg":"HS512"})");
  JwtResult r = verify(token);
  expect_refused(r, JwtErrorKind::kUnsupportedAlgorithm, token);
  EXPECT_NE(r.error().find("HS512"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("only HS256"), std::string::npos) << r.error();
}

TEST(GatewayJwt, Rs256IsRefusedWithASentenceAboutJwks) {
  std::string token =
      sign_hs256_for_tests(user_claims(), kSecret, R"({"alg":"RS256","kid":"k1","typ":"JWT"})");
  JwtResult r = verify(token);
  expect_refused(r, JwtErrorKind::kUnsupportedAlgorithm, token);
  EXPECT_NE(r.error().find("asymmetric JWT (ES256/RS256) needs a JWKS"), std::string::npos);
  EXPECT_NE(r.error().find("SUPABASE_JWT_SECRET"), std::string::npos) << r.error();
}

TEST(GatewayJwt, UnknownAlgorithmIsNotEchoedIntoTheSentence) {
  std::string token = sign_hs256_for_tests(user_claims(), kSecret, R"({"alg":"<script>"})");
  JwtResult r = verify(token);
  expect_refused(r, JwtErrorKind::kUnsupportedAlgorithm, token);
  EXPECT_EQ(r.error().find("<script>"), std::string::npos);
}

TEST(GatewayJwt, CriticalHeaderExtensionIsRefused) {
  std::string token =
      sign_hs256_for_tests(user_claims(), kSecret, R"({"alg":"HS256","crit":["b64"],"b64":false})");
  expect_refused(verify(token), JwtErrorKind::kUnsupportedAlgorithm);
}

TEST(GatewayJwt, TokenSignedWithAnotherSecretIsRefused) {
  std::string token = sign_hs256_for_tests(user_claims(), "another-projects-secret");
  expect_refused(verify(token), JwtErrorKind::kBadSignature, token);
}

TEST(GatewayJwt, TamperedPayloadIsRefused) {
  std::string token = sign(user_claims());
  size_t first = token.find('.');
  size_t second = token.find('.', first + 1);
  std::string forged = user_claims(R"("app_metadata_x":1)");
  std::string tampered =
      token.substr(0, first + 1) + base64url_encode(forged) + token.substr(second);
  expect_refused(verify(tampered), JwtErrorKind::kBadSignature, tampered);
}

TEST(GatewayJwt, AlteredSpareBitsOfTheSignatureAreRefused) {
  // 32 bytes make 43 characters with 2 spare bits; a second spelling must not verify.
  std::string token = sign(user_claims());
  char& last = token.back();
  last = last == 'A' ? 'B' : static_cast<char>(last ^ 1);
  EXPECT_FALSE(verify(token).ok());
}

TEST(GatewayJwt, TwoOrFourSegmentsAreMalformed) {
  std::string token = sign(user_claims());
  expect_refused(verify(token.substr(0, token.rfind('.'))), JwtErrorKind::kMalformed);
  expect_refused(verify(token + ".extra"), JwtErrorKind::kMalformed);
  expect_refused(verify("no-dots-at-all"), JwtErrorKind::kMalformed);
}

TEST(GatewayJwt, InvalidBase64UrlIsMalformed) {
  std::string token = sign(user_claims());
  std::string plus = token;
  plus[2] = '+';  // standard base64, not base64url
  expect_refused(verify(plus), JwtErrorKind::kMalformed);
  expect_refused(verify(token + "="), JwtErrorKind::kMalformed);  // padding
  std::string spaced = token;
  spaced.insert(5, " ");
  expect_refused(verify(spaced), JwtErrorKind::kMalformed);
}

TEST(GatewayJwt, NonJsonHeaderIsMalformed) {
  std::string token = sign_hs256_for_tests(user_claims(), kSecret, "not json");
  expect_refused(verify(token), JwtErrorKind::kMalformed);
  token = sign_hs256_for_tests(user_claims(), kSecret, R"(["HS256"])");
  expect_refused(verify(token), JwtErrorKind::kMalformed);
}

TEST(GatewayJwt, NonJsonPayloadWithGoodSignatureIsMalformed) {
  expect_refused(verify(sign("{not json")), JwtErrorKind::kMalformed);
}

TEST(GatewayJwt, ServiceRoleKeyWithoutSubIsAcceptedAndRecognized) {
  std::string key = R"({"iss":"supabase","ref":"abcdefghijklmnopqrst","role":"service_role",)"
                    R"("iat":1640991600,"exp":1956567600})";
  JwtResult r = verify(sign(key));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->is_service_role());
  EXPECT_TRUE(r->sub.empty());
}

TEST(GatewayJwt, AnonKeyIsAcceptedAsAnon) {
  std::string key = R"({"iss":"supabase","role":"anon","iat":1640991600,"exp":1956567600})";
  JwtResult r = verify(sign(key));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->role, "anon");
  EXPECT_FALSE(r->is_service_role());
}

TEST(GatewayJwt, UserTokenWithoutSubIsRefused) {
  std::string claims =
      R"({"role":"authenticated","aud":"authenticated","exp":)" + std::to_string(kNow + 60) + "}";
  expect_refused(verify(sign(claims)), JwtErrorKind::kMissingSubject);
}

TEST(GatewayJwt, SubThatIsNotAUuidIsRefused) {
  std::string claims =
      R"({"sub":"admin","role":"authenticated","exp":)" + std::to_string(kNow + 60) + "}";
  expect_refused(verify(sign(claims)), JwtErrorKind::kInvalidClaim);
}

TEST(GatewayJwt, PremiumIsReadFromTheConfiguredClaimPath) {
  std::string premium = user_claims(R"("user_plan":{"tier":["basic","gold"]})");
  std::string plain = user_claims();  // app_metadata has no plan
  JwtConfig c = config();
  EXPECT_FALSE(verify(sign(premium), c)->is_premium);
  c.premium_claim_path = "$.user_plan.tier";
  c.premium_values = {"gold", "platinum"};
  EXPECT_TRUE(verify(sign(premium), c)->is_premium);
  EXPECT_FALSE(verify(sign(plain), c)->is_premium);
}

TEST(GatewayJwt, PremiumDefaultPathIsAppMetadataPlan) {
  std::string claims = R"({"sub":")" + std::string(kUser) + R"(","role":"authenticated","exp":)" +
                       std::to_string(kNow + 60) +
                       R"(,"app_metadata":{"provider":"email","plan":"premium"}})";
  JwtResult r = verify(sign(claims));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->is_premium);
}

TEST(GatewayJwt, MissingTokenAndMissingSecretHaveTheirOwnKinds) {
  expect_refused(verify(""), JwtErrorKind::kMissing);
  JwtConfig no_secret;
  expect_refused(verify(sign(user_claims()), no_secret), JwtErrorKind::kNotConfigured);
}

TEST(GatewayJwt, ErrorKindsMapToPostgrestCodes) {
  EXPECT_EQ(postgrest_code(JwtErrorKind::kMissing), "PGRST302");
  EXPECT_EQ(postgrest_code(JwtErrorKind::kBadSignature), "PGRST301");
  EXPECT_EQ(postgrest_code(JwtErrorKind::kMalformed), "PGRST301");
  EXPECT_EQ(postgrest_code(JwtErrorKind::kExpired), "PGRST303");
  EXPECT_EQ(postgrest_code(JwtErrorKind::kWrongAudience), "PGRST303");
  EXPECT_EQ(jwt_error_name(JwtErrorKind::kBadSignature), "bad_signature");
}

TEST(GatewayJwt, BearerTokenIsParsedCaseInsensitivelyAndTrimmed) {
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer abc"), "abc");
  EXPECT_EQ(bearer_token("BEARER\tabc"), "abc");
  EXPECT_EQ(bearer_token("  Bearer    abc  "), "abc");
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(bearer_token("Bearer"), "");
  EXPECT_EQ(bearer_token("Bearer   "), "");
  EXPECT_EQ(bearer_token("Bearerabc"), "");
  EXPECT_EQ(bearer_token(""), "");
}

TEST(GatewayJwt, Base64UrlRoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
    bytes += static_cast<char>(n * 37 + 250);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("A").has_value());   // 4k+1 characters
  EXPECT_FALSE(base64url_decode("AB").has_value());  // non-zero spare bits
  EXPECT_TRUE(base64url_decode("AA").has_value());
}

}  // namespace
}  // namespace aiw::gateway
