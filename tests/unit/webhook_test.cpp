// webhook.notify against a local receiver that verifies signatures the way a real one should,
// and fails on purpose to prove the in-stage retries and the error kinds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>

#include "ai_plugin_test_support.h"
#include "fakes/http_server.h"
#include "support/webhook_signature.h"

namespace aiw::testing {
namespace {

using ::testing::HasSubstr;
using Status = engine::JobResult::Status;

// What a receiver does: recompute the signature over the timestamp and the raw body.
bool signature_valid(const fakes::Request& req, const std::string& secret) {
  const std::string timestamp = req.header("x-aiw-timestamp");
  return !timestamp.empty() &&
         req.header("x-aiw-signature") == webhook_signature(secret, timestamp, req.body);
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

// A receiver that answers `first_status` (with `retry_after` when given) once, then 200, and
// records when each request arrived.
struct FailOnceThenAccept {
  explicit FailOnceThenAccept(int first_status, std::string retry_after = "")
      : first_status(first_status), retry_after(std::move(retry_after)) {
    server.route("POST", "/hook", [this](const fakes::Request& req, fakes::Response& res) {
      std::lock_guard lock(mu);
      arrivals.push_back(std::chrono::steady_clock::now());
      signed_ok += signature_valid(req, "s3cret") ? 1 : 0;
      if (arrivals.size() > 1) return void(res.status = 200);
      res.status = this->first_status;
      if (!this->retry_after.empty()) res.headers.emplace_back("Retry-After", this->retry_after);
    });
  }
  std::chrono::milliseconds gap() {
    std::lock_guard lock(mu);
    return arrivals.size() < 2 ? std::chrono::milliseconds(-1)
                               : std::chrono::duration_cast<std::chrono::milliseconds>(
                                     arrivals[1] - arrivals[0]);
  }

  int first_status;
  std::string retry_after;
  fakes::HttpServer server;
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  int signed_ok = 0;
};

TEST(WebhookNotify, A429IsRetriedAfterTheSecondsItsRetryAfterAsksFor) {
  FailOnceThenAccept receiver(429, "1");
  auto r = run_stage("webhook.notify", notify_with(receiver.server, ", backoff_ms: 1"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(parse_output(r)["attempts"].GetInt(), 2);
  EXPECT_GE(receiver.gap().count(), 950);  // 1 s asked, not the 1 ms backoff
  EXPECT_EQ(receiver.signed_ok, 2);
}

TEST(WebhookNotify, ARetryAfterGivenAsAnHttpDateIsWaitedFor) {
  // Two seconds ahead at whole-second precision: at least one second away when it is sent.
  FailOnceThenAccept receiver(
      503, http_date_in(2));
  auto r = run_stage("webhook.notify", notify_with(receiver.server, ", backoff_ms: 1"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(parse_output(r)["attempts"].GetInt(), 2);
  EXPECT_GE(receiver.gap().count(), 900) << receiver.retry_after;
}

TEST(WebhookNotify, ARetryAfterDateInThePastRetriesAfterTheBackoff) {
  FailOnceThenAccept receiver(
      429, http_date_in(-3600));
  auto r = run_stage("webhook.notify", notify_with(receiver.server, ", backoff_ms: 1"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(parse_output(r)["attempts"].GetInt(), 2);
}

TEST(WebhookNotify, A408RequestTimeoutIsRetried) {
  FailOnceThenAccept receiver(408);
  auto r = run_stage("webhook.notify", notify_with(receiver.server, ", backoff_ms: 1"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(parse_output(r)["attempts"].GetInt(), 2);
  EXPECT_EQ(stage_of(r, "s").attempts, 1);  // retried by the stage, not by the engine
}

TEST(WebhookNotify, AReceiverThatRefusesConnectionsIsRetriedThenFailsRetryably) {
  std::string url;
  {
    fakes::HttpServer gone;  // its port is closed once it is destroyed
    url = gone.url("/hook");
  }
  auto r = run_stage("webhook.notify", "{url: " + json_quoted(url) +
                                           R"(, secret: s3cret, body: {}, backoff_ms: 1, )"
                                           R"(max_attempts: 3})");
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable) << r.error;
  EXPECT_THAT(r.error, HasSubstr("failed 3 times"));
}

TEST(WebhookNotify, EmptySecretIsRefusedBeforeSending) {
  fakes::HttpServer server;
  auto r = run_stage("webhook.notify", "{url: " + json_quoted(server.url("/hook")) + R"(, secret: "", body: {}})");
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_EQ(server.requests_received(), 0u);
}

}  // namespace
}  // namespace aiw::testing
