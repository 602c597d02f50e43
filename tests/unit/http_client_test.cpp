// IoLoop::http against the local fake server: outcomes, limits, cancel, stop and load.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/http_server.h"
#include "net/io_loop.h"
#include "waiter.h"

namespace aiw::net {
namespace {

using aiw::fakes::HttpServer;
using aiw::fakes::Request;
using aiw::fakes::Response;
using aiw::testing::Waiter;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

// Sends requests and keeps every response and how often each done ran.
class Client {
 public:
  explicit Client(IoLoop& loop) : loop_(loop) {}

  size_t send(HttpRequest request) {
    size_t index;
    {
      std::lock_guard lock(mu_);
      index = responses_.size();
      responses_.emplace_back();
      calls_.push_back(0);
    }
    ids_.push_back(loop_.http(std::move(request), [this, index](HttpResponse&& response) {
      {
        std::lock_guard lock(mu_);
        responses_[index] = std::move(response);
        calls_[index]++;
      }
      done_.notify();
    }));
    return index;
  }
  bool wait_all() { return done_.wait_for(ids_.size()); }
  HttpResponse response(size_t index) {
    std::lock_guard lock(mu_);
    return responses_[index];
  }
  // Every done ran exactly once. Call after the loop stopped, so late duplicates are counted.
  void expect_each_done_ran_once() {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < calls_.size(); ++i) EXPECT_EQ(calls_[i], 1) << "request " << i;
  }
  IoLoop::RequestId id(size_t index) const { return ids_[index]; }

 private:
  IoLoop& loop_;
  std::mutex mu_;
  std::vector<HttpResponse> responses_;
  std::vector<int> calls_;
  std::vector<IoLoop::RequestId> ids_;
  Waiter done_;
};

HttpRequest get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  return request;
}

const std::string* find_header(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

TEST(HttpClient, HttpGetReturnsStatusHeadersAndBody) {
  HttpServer server;
  server.route("GET", "/hello", [](const Request&, Response& response) {
    response.status = 201;
    response.headers = {{"X-Answer", "42"}};
    response.body = "hello";
  });
  IoLoop loop;
  Client client(loop);
  client.send(get(server.url("/hello?q=1")));
  ASSERT_TRUE(client.wait_all());
  HttpResponse response = client.response(0);
  EXPECT_EQ(response.outcome, AIW_HTTP_OK) << response.error;
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(response.error, "");
  const std::string* answer = find_header(response, "x-answer");
  ASSERT_NE(answer, nullptr) << "header names are lower-cased";
  EXPECT_EQ(*answer, "42");
  EXPECT_GE(response.total_seconds, 0.0);
  loop.stop();
  client.expect_each_done_ran_once();
}

TEST(HttpClient, PostSendsBodyAndHeaders) {
  HttpServer server;
  server.route("POST", "/api/generate", [](const Request& request, Response& response) {
    response.body = request.header("content-type") + "|" + std::to_string(request.body.size()) +
                    "|" + request.body.substr(0, 5);
  });
  IoLoop loop;
  Client client(loop);
  HttpRequest request = get(server.url("/api/generate"));
  request.method = "POST";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = "{\"a\"" + std::string(200000, ' ') + "}";  // big enough for Expect: 100
  client.send(request);
  ASSERT_TRUE(client.wait_all());
  EXPECT_EQ(client.response(0).outcome, AIW_HTTP_OK) << client.response(0).error;
  EXPECT_EQ(client.response(0).body, "application/json|200005|{\"a\" ");
}

TEST(HttpClient, OtherMethodsReachTheServerAsSent) {
  HttpServer server;
  for (const char* method : {"PUT", "PATCH", "DELETE"}) {
    server.route(method, "/thing", [](const Request& request, Response& response) {
      response.body = request.method + ":" + request.body;
    });
  }
  IoLoop loop;
  Client client(loop);
  for (const char* method : {"PUT", "PATCH", "DELETE"}) {
    HttpRequest request = get(server.url("/thing"));
    request.method = method;
    request.body = method[0] == 'D' ? "" : "x";
    client.send(request);
  }
  ASSERT_TRUE(client.wait_all());
  EXPECT_EQ(client.response(0).body, "PUT:x");
  EXPECT_EQ(client.response(1).body, "PATCH:x");
  EXPECT_EQ(client.response(2).body, "DELETE:");
}

TEST(HttpClient, ErrorStatusAndUnknownPathAreStillOkOutcomes) {
  HttpServer server;
  server.route("GET", "/busy", [](const Request&, Response& response) { response.status = 503; });
  IoLoop loop;
  Client client(loop);
  client.send(get(server.url("/busy")));
  client.send(get(server.url("/nowhere")));
  ASSERT_TRUE(client.wait_all());
  EXPECT_EQ(client.response(0).outcome, AIW_HTTP_OK);
  EXPECT_EQ(client.response(0).status, 503);
  EXPECT_EQ(client.response(1).outcome, AIW_HTTP_OK);
  EXPECT_EQ(client.response(1).status, 404);
}

TEST(HttpClient, RequestTimeoutReportsTimeout) {
  HttpServer server;
  server.route("GET", "/slow", [](const Request&, Response& response) {
    response.delay = std::chrono::seconds(5);
  });
  IoLoop loop;
  Client client(loop);
  HttpRequest request = get(server.url("/slow"));
  request.timeout = milliseconds(100);
  client.send(request);
  ASSERT_TRUE(client.wait_all());
  HttpResponse response = client.response(0);
  EXPECT_EQ(response.outcome, AIW_HTTP_TIMEOUT);
  EXPECT_EQ(response.status, 0);
  EXPECT_THAT(response.error, HasSubstr("within 100 ms"));
  EXPECT_THAT(response.error, HasSubstr(server.url("/slow")));
  loop.stop();
  client.expect_each_done_ran_once();
}

TEST(HttpClient, CancelAbortsInFlightRequest) {
  HttpServer server;
  Waiter arrived;
  server.route("GET", "/hang", [&](const Request&, Response& response) {
    response.hang = true;
    arrived.notify();
  });
  IoLoop loop;
  Client client(loop);
  client.send(get(server.url("/hang")));
  ASSERT_TRUE(arrived.wait_for(1));
  loop.cancel_http(client.id(0));
  ASSERT_TRUE(client.wait_all());
  EXPECT_EQ(client.response(0).outcome, AIW_HTTP_CANCELLED);
  EXPECT_THAT(client.response(0).error, HasSubstr("cancelled"));
  loop.cancel_http(client.id(0));  // finished: a no-op
  EXPECT_EQ(loop.requests_in_flight(), 0u);
  loop.stop();
  client.expect_each_done_ran_once();
}

TEST(HttpClient, CancelRightAfterStartEndsCancelled) {
  HttpServer server;
  // The server never answers, so the cancel cannot lose a race with a fast response.
  server.route("GET", "/x", [](const Request&, Response& r) { r.hang = true; });
  IoLoop loop;
  Client client(loop);
  client.send(get(server.url("/x")));
  loop.cancel_http(client.id(0));  // queued behind the start: cancels it before it is sent
  ASSERT_TRUE(client.wait_all());
  EXPECT_EQ(client.response(0).outcome, AIW_HTTP_CANCELLED);
  loop.stop();
  client.expect_each_done_ran_once();
}

TEST(HttpClient, ResponseOverLimitFailsTooLarge) {
  HttpServer server;
  server.route("GET", "/big", [](const Request&, Response& response) {
    response.body = std::string(1 << 20, 'x');
  });
  server.route("GET", "/big-chunked", [](const Request&, Response& response) {
    response.body = std::string(1 << 20, 'x');
    response.chunked = true;  // no Content-Length: caught while the body streams in
  });
  server.route("GET", "/exact",
               [](const Request&, Response& response) { response.body = std::string(1000, 'x'); });
  IoLoop loop;
  Client client(loop);
  for (const char* path : {"/big", "/big-chunked", "/exact"}) {
    HttpRequest request = get(server.url(path));
    request.max_response_bytes = 1000;
    client.send(request);
  }
  ASSERT_TRUE(client.wait_all());
  for (size_t i : {0u, 1u}) {
    EXPECT_EQ(client.response(i).outcome, AIW_HTTP_TOO_LARGE) << i;
    EXPECT_THAT(client.response(i).error, HasSubstr("limit of 1000 bytes"));
    EXPECT_TRUE(client.response(i).body.empty());
  }
  EXPECT_EQ(client.response(2).outcome, AIW_HTTP_OK) << "a body of exactly the limit fits";
  EXPECT_EQ(client.response(2).body.size(), 1000u);
}

TEST(HttpClient, ConnectionRefusedIsConnectError) {
  std::string url;
  {
    HttpServer closed;  // a port that surely was free a moment ago, now with no listener
    url = closed.url("/x?key=secret");
  }
  IoLoop loop;
  Client client(loop);
  client.send(get(url));
  ASSERT_TRUE(client.wait_all());
  HttpResponse response = client.response(0);
  EXPECT_EQ(response.outcome, AIW_HTTP_CONNECT);
  std::string host_port = url.substr(7, url.find('/', 7) - 7);
  EXPECT_EQ(response.error, "connection to " + host_port + " refused (http://" + host_port + "/x)");
  EXPECT_THAT(response.error, ::testing::Not(HasSubstr("secret"))) << "queries carry API keys";
}

TEST(HttpClient, MalformedRequestsAreBadRequest) {
  IoLoop loop;
  Client client(loop);
  client.send(get("ftp://127.0.0.1/file"));
  client.send(get("file:///etc/passwd"));
  client.send(get(""));
  HttpRequest bad_method = get("http://127.0.0.1:1/");
  bad_method.method = "FROB";
  client.send(bad_method);
  HttpRequest injected = get("http://127.0.0.1:1/");
  injected.headers = {{"X-A", "1\r\nX-B: 2"}};
  client.send(injected);
  ASSERT_TRUE(client.wait_all());
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(client.response(i).outcome, AIW_HTTP_BAD_REQUEST) << i;
    EXPECT_FALSE(client.response(i).error.empty());
  }
  EXPECT_THAT(client.response(0).error, HasSubstr("only those are allowed"));
  EXPECT_THAT(client.response(2).error, HasSubstr("no url"));
  EXPECT_THAT(client.response(3).error, HasSubstr("FROB"));
  loop.stop();
  client.expect_each_done_ran_once();
}

TEST(HttpClient, StopCompletesEveryPendingRequestAsCancelled) {
  constexpr size_t kHung = 50;
  HttpServer server;
  Waiter arrived;
  server.route("GET", "/hang", [&](const Request&, Response& response) {
    response.hang = true;
    arrived.notify();
  });
  auto loop = std::make_unique<IoLoop>();
  Client client(*loop);
  for (size_t i = 0; i < kHung; ++i) client.send(get(server.url("/hang")));
  ASSERT_TRUE(arrived.wait_for(kHung));
  for (size_t i = 0; i < 10; ++i) client.send(get(server.url("/hang")));  // maybe not started
  loop->stop();
  EXPECT_EQ(loop->requests_in_flight(), 0u);
  size_t after_stop = client.send(get(server.url("/hang")));  // ends at once, still exactly once
  ASSERT_TRUE(client.wait_all());
  for (size_t i = 0; i <= after_stop; ++i) {
    EXPECT_EQ(client.response(i).outcome, AIW_HTTP_CANCELLED) << i;
  }
  loop.reset();
  client.expect_each_done_ran_once();
}

TEST(HttpClient, SequentialRequestsReuseOneKeepAliveConnection) {
  HttpServer server;
  server.route("GET", "/x", [](const Request&, Response& response) { response.body = "ok"; });
  IoLoop loop;
  Waiter done;
  std::atomic<int> ok{0};
  std::function<void(HttpResponse &&)> next = [&](HttpResponse&& response) {
    if (response.outcome == AIW_HTTP_OK) ok++;
    done.notify();
    if (done.count() < 20) loop.http(get(server.url("/x")), next);
  };
  loop.http(get(server.url("/x")), next);
  ASSERT_TRUE(done.wait_for(20));
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(server.open_connections(), 1u);
}

TEST(HttpClient, ThousandConcurrentRequestsAllComplete) {
  constexpr size_t kRequests = 1000;
  HttpServer server(2);
  server.route("POST", "/echo", [](const Request& request, Response& response) {
    response.body = request.body;
    response.delay = milliseconds(50);  // keeps them all in flight together
  });
  IoLoop loop;
  Client client(loop);
  for (size_t i = 0; i < kRequests; ++i) {
    HttpRequest request = get(server.url("/echo"));
    request.method = "POST";
    request.body = std::to_string(i);
    request.timeout = std::chrono::seconds(60);
    client.send(request);
  }
  ASSERT_TRUE(client.wait_all());
  for (size_t i = 0; i < kRequests; ++i) {
    HttpResponse response = client.response(i);
    ASSERT_EQ(response.outcome, AIW_HTTP_OK) << i << ": " << response.error;
    EXPECT_EQ(response.body, std::to_string(i));
  }
  // Not requests_served(): the server counts a write after the client may already have it.
  EXPECT_EQ(server.requests_received(), kRequests);
  EXPECT_EQ(loop.requests_in_flight(), 0u);
  loop.stop();
  client.expect_each_done_ran_once();
}

}  // namespace
}  // namespace aiw::net
