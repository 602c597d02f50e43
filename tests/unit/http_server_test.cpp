// HttpServer: requests, keep-alive, pipelining, routing and the protocol limits.
#include "net/http_server.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "http_test_client.h"

namespace aiw::net {
namespace {

using aiw::testing::get_request;
using aiw::testing::TestClient;

// A server with a few routes most tests use; options tweak limits per test.
class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    server_ = std::make_unique<HttpServer>(options);
    server_->route("GET", "/hello", [](const ServerRequest&, HttpResponder out) {
      out.respond(ServerResponse::text(200, "hello"));
    });
    server_->route("GET", "/path", [](const ServerRequest& request, HttpResponder out) {
      out.respond(ServerResponse::text(200, std::string(request.path())));
    });
    server_->route("POST", "/echo", [](const ServerRequest& request, HttpResponder out) {
      out.respond(ServerResponse::text(200, request.body));
    });
    server_->route(
        "POST", "/v1/jobs/{id}/cancel", [](const ServerRequest& request, HttpResponder out) {
          out.respond(ServerResponse::text(200, "cancel " + std::string(request.param("id"))));
        });
    server_->route("GET", "/v1/jobs/{id}", [](const ServerRequest& request, HttpResponder out) {
      std::string body = "job " + std::string(request.param("id")) +
                         " view=" + request.query("view").value_or("-") +
                         " from=" + request.remote_address +
                         " agent=" + std::string(request.header("USER-agent"));
      out.respond(ServerResponse::text(200, body));
    });
    ASSERT_TRUE(server_->start().ok());
  }
  uint16_t port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  TestClient client(port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get_request("/hello")));
    auto response = client.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "hello");
    EXPECT_EQ(response.header("connection"), "");  // HTTP/1.1: keep-alive is the default
    EXPECT_FALSE(response.header("date").empty());
  }
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
  EXPECT_EQ(server_->stats().requests_received, 3u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  TestClient client(port());
  ASSERT_TRUE(client.send(get_request("/path?1") + get_request("/hello") + get_request("/path")));
  EXPECT_EQ(client.read_response().body, "/path");
  EXPECT_EQ(client.read_response().body, "hello");
  EXPECT_EQ(client.read_response().body, "/path");
}

TEST_F(HttpServerTest, RouteParamsQueryAndHeadersReachTheHandler) {
  start();
  TestClient client(port());
  client.send(get_request("/v1/jobs/ab%20c?view=full%2Bx&x=1", "User-Agent: probe\r\n"));
  EXPECT_EQ(client.read_response().body, "job ab c view=full+x from=127.0.0.1 agent=probe");
  client.send("POST /v1/jobs/42/cancel HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(client.read_response().body, "cancel 42");
}

TEST_F(HttpServerTest, UnknownPathGets404JsonError) {
  start();
  TestClient client(port());
  client.send(get_request("/v1/nothing"));
  auto response = client.read_response();
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_NE(response.body.find("\"code\":\"not_found\""), std::string::npos);
  client.send(get_request("/v1/jobs/1/cancel/more"));  // longer than every pattern
  EXPECT_EQ(client.read_response().status, 404);
}

TEST_F(HttpServerTest, KnownPathWithAnotherMethodGets405WithAllow) {
  start();
  TestClient client(port());
  client.send("DELETE /v1/jobs/7 HTTP/1.1\r\nHost: t\r\n\r\n");
  auto response = client.read_response();
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.header("allow"), "GET");
  EXPECT_NE(response.body.find("method_not_allowed"), std::string::npos);
}

TEST_F(HttpServerTest, HeadAnswersTheGetRouteWithoutBody) {
  start();
  TestClient client(port());
  client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get_request("/hello"));
  auto head = client.read_head_response();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "5");
  // Had the server sent a body, it would be read as the next response's start.
  EXPECT_EQ(client.read_response().body, "hello");
}

TEST_F(HttpServerTest, PostBodyIsEchoedWithContentLengthAndChunked) {
  start();
  TestClient client(port());
  client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
  EXPECT_EQ(client.read_response().body, "hello world");
  client.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(client.read_response().body, "hello world");
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  start();
  TestClient client(port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 100);
  client.send("ok");
  EXPECT_EQ(client.read_response().body, "ok");
}

TEST_F(HttpServerTest, BodyOverLimitByContentLengthGets413WithoutSendingTheBody) {
  start();  // the default limit: 1 MiB
  TestClient client(port());
  client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n");
  auto response = client.read_response();
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.body,
            "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"the request body is larger "
            "than 1048576 bytes\"}}");
  EXPECT_EQ(response.header("connection"), "close");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitGets413) {
  start({.max_body_bytes = 1024});
  TestClient client(port());
  std::string chunk(600, 'x');
  std::string request = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) request += "258\r\n" + chunk + "\r\n";  // 0x258 = 600
  request += "0\r\n\r\n";
  client.send(request);
  auto response = client.read_response();
  EXPECT_EQ(response.status, 413);
  EXPECT_NE(response.body.find("larger than 1024 bytes"), std::string::npos);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, HugeHeaderGets431) {
  start();  // the default header limit: 8 KiB
  TestClient client(port());
  client.send(get_request("/hello", "X-Big: " + std::string(16 * 1024, 'a') + "\r\n"));
  auto response = client.read_response();
  EXPECT_EQ(response.status, 431);
  EXPECT_NE(response.body.find("header_too_large"), std::string::npos);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, GarbageGets400AndClose) {
  start();
  TestClient client(port());
  client.send("HELLO THERE\r\n\r\n");
  auto response = client.read_response();
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("\"code\":\"bad_request\""), std::string::npos);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10AreHonoured) {
  start();
  TestClient close_client(port());
  close_client.send(get_request("/hello", "Connection: close\r\n"));
  EXPECT_EQ(close_client.read_response().header("connection"), "close");
  EXPECT_TRUE(close_client.wait_closed());

  TestClient old_client(port());
  old_client.send("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old_client.read_response().body, "hello");
  EXPECT_TRUE(old_client.wait_closed());

  TestClient kept_client(port());
  kept_client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(kept_client.read_response().header("connection"), "keep-alive");
  kept_client.send("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_EQ(kept_client.read_response().body, "hello");
}

TEST_F(HttpServerTest, StatsCountResponsesByStatusClass) {
  start();
  TestClient client(port());
  client.send(get_request("/hello") + get_request("/missing") + get_request("/hello"));
  for (int i = 0; i < 3; ++i) client.read_response();
  client.close();
  // Counted after the write completes: the client may read before the count moves.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server_->stats().responses_sent < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  auto stats = server_->stats();
  EXPECT_EQ(stats.responses_sent, 3u);
  EXPECT_EQ(stats.responses_by_class[2], 2u);
  EXPECT_EQ(stats.responses_by_class[4], 1u);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  start({.max_connections = 2});
  TestClient first(port());
  TestClient second(port());
  for (TestClient* client : {&first, &second}) {  // both surely accepted and counted
    client->send(get_request("/hello"));
    EXPECT_EQ(client->read_response().status, 200);
  }
  TestClient third(port());
  EXPECT_TRUE(third.wait_closed());
  EXPECT_EQ(server_->stats().connections_rejected, 1u);
  first.send(get_request("/hello"));
  EXPECT_EQ(first.read_response().status, 200);
}

TEST(HttpServerStart, PortInUseIsASentence) {
  HttpServer first({.host = "127.0.0.1"});
  ASSERT_TRUE(first.start().ok());
  HttpServer second({.host = "127.0.0.1", .port = first.port()});
  Status status = second.start();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot listen on 127.0.0.1:"), std::string::npos);
}

TEST(HttpJsonError, EscapesAndCarriesTheField) {
  ServerResponse response = json_error(422, "invalid_input", "say \"hi\"\n", "input.imageUrl");
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.body,
            "{\"error\":{\"code\":\"invalid_input\",\"message\":\"say \\\"hi\\\"\\n\","
            "\"field\":\"input.imageUrl\"}}");
}

TEST(HttpSseEvent, PutsEachLineInItsOwnDataField) {
  EXPECT_EQ(sse_event("a\nb", "progress", "7"), "event: progress\nid: 7\ndata: a\ndata: b\n\n");
  EXPECT_EQ(sse_event("{}"), "data: {}\n\n");
}

}  // namespace
}  // namespace aiw::net
