// The address policy inside the host's HTTP client: checked on the address curl connects to,
// never bypassed by a pooled connection, and a malformed allow-list is a bad request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "fakes/http_server.h"
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

}  // namespace
}  // namespace aiw::net
