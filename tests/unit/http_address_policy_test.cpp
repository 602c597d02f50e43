// The address policy inside the host's HTTP client: checked on the address curl connects to,
// never bypassed by a pooled connection, and a malformed allow-list is a bad request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "fakes/http_server.h"
#include "net/http_transfer.h"
#include "net/io_loop.h"
#include "waiter.h"

namespace aiw::net {
namespace {

using ::testing::HasSubstr;

// Sends one request and waits for its response.
HttpResponse exchange(IoLoop& loop, HttpRequest request) {
  aiw::testing::Waiter done;
  std::mutex mu;
  HttpResponse out;
  loop.http(std::move(request), [&](HttpResponse&& r) {
    {
      std::lock_guard lock(mu);
      out = std::move(r);
    }
    done.notify();
  });
  EXPECT_TRUE(done.wait_for(1));
  std::lock_guard lock(mu);
  return out;
}

HttpRequest guarded_get(const std::string& url, std::vector<std::string> allowed = {}) {
  HttpRequest r;
  r.url = url;
  r.address_policy = {true, std::move(allowed)};
  return r;
}

TEST(HttpAddressPolicy, LoopbackIsBlockedBeforeAnyRequestReachesIt) {
  fakes::HttpServer server;
  server.route("GET", "/x", [](const fakes::Request&, fakes::Response& res) { res.body = "x"; });
  IoLoop loop;
  HttpResponse r = exchange(loop, guarded_get(server.url("/x")));
  EXPECT_EQ(r.outcome, AIW_HTTP_BLOCKED) << r.error;
  EXPECT_EQ(r.blocked.address, "127.0.0.1");
  EXPECT_EQ(r.blocked.reason, "a loopback address");
  EXPECT_THAT(r.error, HasSubstr("refused to connect to 127.0.0.1, a loopback address"));
  EXPECT_EQ(server.requests_received(), 0u);

  HttpResponse allowed = exchange(loop, guarded_get(server.url("/x"), {"127.0.0.0/8"}));
  EXPECT_EQ(allowed.outcome, AIW_HTTP_OK) << allowed.error;
  EXPECT_EQ(allowed.body, "x");
}

TEST(HttpAddressPolicy, PooledConnectionOfAnUnguardedRequestIsNotReused) {
  fakes::HttpServer server;
  server.route("GET", "/x", [](const fakes::Request&, fakes::Response& res) { res.body = "x"; });
  IoLoop loop;
  HttpRequest plain;
  plain.url = server.url("/x");
  ASSERT_EQ(exchange(loop, plain).outcome, AIW_HTTP_OK);  // leaves a keep-alive connection
  HttpResponse r = exchange(loop, guarded_get(server.url("/x")));
  EXPECT_EQ(r.outcome, AIW_HTTP_BLOCKED) << r.error;
  EXPECT_EQ(server.requests_received(), 1u);
}

TEST(HttpAddressPolicy, MalformedAllowedNetworkIsABadRequest) {
  IoLoop loop;
  HttpResponse r = exchange(loop, guarded_get("https://example.com/", {"10.0.0.0/40"}));
  EXPECT_EQ(r.outcome, AIW_HTTP_BAD_REQUEST);
  EXPECT_THAT(r.error, HasSubstr("'10.0.0.0/40'"));
}

// A host resolving to a refused address and an allowed one cannot be set up portably (no
// stable name resolves to both), so the mapping from the transfer's record to the outcome is
// checked directly, as the open-socket callback leaves it.
HttpResponse finished(bool allowed_address_tried, CURLcode result) {
  Transfer transfer;
  transfer.request = guarded_get("http://db.example:5432/x");
  transfer.refused = Refusal{"10.0.0.5", "a private address"};
  transfer.allowed_address_tried = allowed_address_tried;
  CURL* easy = curl_easy_init();
  transfer.easy = easy;
  finish_response(transfer, result);
  curl_easy_cleanup(easy);
  return std::move(transfer.response);
}

TEST(HttpAddressPolicy, RefusalIsTheOutcomeOnlyWhenNoAllowedAddressWasTried) {
  HttpResponse only_refused = finished(false, CURLE_COULDNT_CONNECT);
  EXPECT_EQ(only_refused.outcome, AIW_HTTP_BLOCKED);
  EXPECT_EQ(only_refused.blocked.address, "10.0.0.5");

  HttpResponse then_timed_out = finished(true, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(then_timed_out.outcome, AIW_HTTP_TIMEOUT) << then_timed_out.error;
  HttpResponse then_refused = finished(true, CURLE_COULDNT_CONNECT);
  EXPECT_EQ(then_refused.outcome, AIW_HTTP_CONNECT) << then_refused.error;
}

}  // namespace
}  // namespace aiw::net
