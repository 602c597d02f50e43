// webhook.notify against a local receiver that verifies signatures the way a real one should,
// and fails on purpose to prove the in-stage retries and the error kinds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <mutex>

#include "ai_plugin_test_support.h"
#include "fakes/http_server.h"

namespace aiw::testing {
namespace {

using ::testing::HasSubstr;
using Status = engine::JobResult::Status;

// What a receiver does: HMAC-SHA256(secret, "<timestamp>.<raw body>") against the header.
bool signature_valid(const fakes::Request& req, const std::string& secret) {
  std::string message = req.header("x-aiw-timestamp") + "." + req.body;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len);
  std::string hex = "sha256=";
  char byte[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return !req.header("x-aiw-timestamp").empty() && req.header("x-aiw-signature") == hex;
}

std::string notify_with(const fakes::HttpServer& s, const std::string& extra = "") {
  return "{url: " + json_quoted(s.url("/hook")) +
         R"(, secret: s3cret, body: {event: done, result: {calories: 420, foods: [rice, beans]}})" + extra + "}";
}

TEST(WebhookNotify, SignatureVerifiesWithTheSharedSecret) {
  fakes::HttpServer server;
  fakes::Request seen;
  server.route("POST", "/hook", [&](const fakes::Request& req, fakes::Response& res) {
    seen = req;
    res.status = signature_valid(req, "s3cret") ? 204 : 401;
  });
  auto r = run_stage("webhook.notify", notify_with(server, R"(, headers: {X-Tenant: acme})"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_TRUE(signature_valid(seen, "s3cret"));
  EXPECT_FALSE(signature_valid(seen, "other"));
  EXPECT_EQ(seen.header("content-type"), "application/json");
  EXPECT_EQ(seen.header("x-tenant"), "acme");
  EXPECT_EQ(seen.header("x-aiw-delivery"), "job-1");
  EXPECT_EQ(seen.body, R"({"event":"done","result":{"calories":420,"foods":["rice","beans"]}})");
  Json out = parse_output(r);
  EXPECT_EQ(out["status"].GetInt(), 204);
  EXPECT_EQ(out["attempts"].GetInt(), 1);
}

TEST(WebhookNotify, ServerErrorsAreRetriedInsideTheStageThenSucceed) {
  fakes::HttpServer server;
  std::atomic<int> calls{0};
  std::atomic<int> valid{0};
  server.route("POST", "/hook", [&](const fakes::Request& req, fakes::Response& res) {
    valid += signature_valid(req, "s3cret") ? 1 : 0;
    res.status = calls.fetch_add(1) < 2 ? 503 : 200;
  });
  auto r = run_stage("webhook.notify", notify_with(server, ", backoff_ms: 1"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(parse_output(r)["attempts"].GetInt(), 3);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(valid.load(), 3);  // every attempt is signed
  EXPECT_EQ(stage_of(r, "s").attempts, 1);  // retried by the stage, not by the engine
}

TEST(WebhookNotify, ClientErrorIsPermanentAndNotRetried) {
  fakes::HttpServer server;
  std::atomic<int> calls{0};
  server.route("POST", "/hook", [&](const fakes::Request&, fakes::Response& res) {
    ++calls;
    res.status = 400;
  });
  auto r = run_stage("webhook.notify", notify_with(server, ", backoff_ms: 1"));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("refused the webhook with HTTP 400"));
  EXPECT_EQ(calls.load(), 1);
}

TEST(WebhookNotify, GivesUpRetryablyAfterMaxAttempts) {
  fakes::HttpServer server;
  std::atomic<int> calls{0};
  server.route("POST", "/hook", [&](const fakes::Request&, fakes::Response& res) {
    ++calls;
    res.status = 500;
  });
  auto r = run_stage("webhook.notify", notify_with(server, ", backoff_ms: 1, max_attempts: 2"));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("failed 2 times"));
  EXPECT_EQ(calls.load(), 2);
}

TEST(WebhookNotify, EmptySecretIsRefusedBeforeSending) {
  fakes::HttpServer server;
  auto r = run_stage("webhook.notify", "{url: " + json_quoted(server.url("/hook")) + R"(, secret: "", body: {}})");
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_EQ(server.requests_received(), 0u);
}

}  // namespace
}  // namespace aiw::testing
