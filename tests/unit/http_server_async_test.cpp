// HttpServer: answers given later from other threads, streams (SSE), many idle connections,
// slow clients and stop(). Nothing here asserts a duration: timeouts only bound a failure.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http_test_client.h"
#include "net/http_server.h"
#include "waiter.h"

namespace aiw::net {
namespace {

using aiw::testing::get_request;
using aiw::testing::TestClient;
using aiw::testing::Waiter;
using namespace std::chrono_literals;

// Hands what a handler received to the test thread.
template <typename T>
class Mailbox {
 public:
  void put(T value) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(value));
    waiter_.notify();
  }
  T take(size_t index) {
    EXPECT_TRUE(waiter_.wait_for(index + 1, 5s));
    std::lock_guard lock(mu_);
    return index < items_.size() ? items_[index] : T{};
  }

 private:
  std::mutex mu_;
  std::vector<T> items_;
  Waiter waiter_;
};

HttpServerOptions local(HttpServerOptions options = {}) {
  options.host = "127.0.0.1";
  return options;
}

TEST(HttpServerAsync, HandlerAnswersLaterFromAnotherThread) {
  Mailbox<std::shared_ptr<HttpResponder>> pending;  // before the server: outlives its handlers
  HttpServer server(local());
  server.route("POST", "/v1/jobs", [&](const ServerRequest&, HttpResponder out) {
    pending.put(std::make_shared<HttpResponder>(std::move(out)));
  });
  ASSERT_TRUE(server.start().ok());
  TestClient client(server.port());
  client.send("POST /v1/jobs HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
  auto responder = pending.take(0);
  std::thread database([responder] {
    responder->respond(ServerResponse::json(202, "{\"id\":\"j1\"}"));
    responder->respond(ServerResponse::json(500, "{}"));  // ignored: answered once
  });
  database.join();
  auto response = client.read_response();
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, "{\"id\":\"j1\"}");
  EXPECT_TRUE(responder->answered());
}

TEST(HttpServerAsync, DroppedResponderGets500AndTheConnectionStaysUsable) {
  HttpServer server(local());
  server.route("GET", "/forgetful", [](const ServerRequest&, HttpResponder) {});
  server.route("GET", "/thrower",
               [](const ServerRequest&, HttpResponder) { throw std::runtime_error("boom"); });
  server.route("GET", "/ok", [](const ServerRequest&, HttpResponder out) {
    out.respond(ServerResponse::text(200, "ok"));
  });
  ASSERT_TRUE(server.start().ok());
  TestClient client(server.port());
  client.send(get_request("/forgetful") + get_request("/thrower") + get_request("/ok"));
  auto dropped = client.read_response();
  EXPECT_EQ(dropped.status, 500);
  EXPECT_NE(dropped.body.find("\"code\":\"internal\""), std::string::npos);
  auto thrown = client.read_response();
  EXPECT_EQ(thrown.status, 500);
  EXPECT_NE(thrown.body.find("boom"), std::string::npos);
  EXPECT_EQ(client.read_response().body, "ok");
}

TEST(HttpServerAsync, SlowFirstAnswerStillComesBeforeThePipelinedSecond) {
  Mailbox<std::shared_ptr<HttpResponder>> pending;  // before the server: outlives its handlers
  HttpServer server(local());
  server.route("GET", "/slow", [&](const ServerRequest&, HttpResponder out) {
    pending.put(std::make_shared<HttpResponder>(std::move(out)));
  });
  server.route("GET", "/fast", [](const ServerRequest&, HttpResponder out) {
    out.respond(ServerResponse::text(200, "fast"));
  });
  ASSERT_TRUE(server.start().ok());
  TestClient client(server.port());
  client.send(get_request("/slow") + get_request("/fast"));
  std::thread([responder = pending.take(0)] {
    responder->respond(ServerResponse::text(200, "slow"));
  }).join();
  EXPECT_EQ(client.read_response().body, "slow");
  EXPECT_EQ(client.read_response().body, "fast");
}

// A route that opens an SSE stream and hands it to the test.
struct StreamRoute {
  Mailbox<HttpStream> streams;
  Waiter closed;
  void install(HttpServer& server) {
    server.route("GET", "/events", [this](const ServerRequest&, HttpResponder out) {
      HttpStream stream = out.start_stream(200, {{"Content-Type", "text/event-stream"}});
      stream.on_close([this] { closed.notify(); });
      streams.put(stream);
    });
  }
};

TEST(HttpServerStream, EventsSentFromAnotherThreadReachTheClientUntilItLeaves) {
  StreamRoute route;
  HttpServer server(local());
  route.install(server);
  server.route("GET", "/hello", [](const ServerRequest&, HttpResponder out) {
    out.respond(ServerResponse::text(200, "hello"));
  });
  ASSERT_TRUE(server.start().ok());
  TestClient client(server.port());
  client.send(get_request("/events"));
  HttpStream stream = route.streams.take(0);
  std::thread producer([stream] {
    EXPECT_TRUE(stream.send(sse_event("{\"progress\":10}", "progress", "1")));
    EXPECT_TRUE(stream.send(sse_event("{\"progress\":50}", "progress", "2")));
  });
  producer.join();
  ASSERT_TRUE(client.read_until("{\"progress\":50}"));
  EXPECT_NE(client.received().find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(client.received().find("text/event-stream"), std::string::npos);
  EXPECT_NE(client.received().find("event: progress\nid: 1\ndata: {\"progress\":10}\n\n"),
            std::string::npos);

  // Other connections are served while the stream is open.
  TestClient other(server.port());
  other.send(get_request("/hello"));
  EXPECT_EQ(other.read_response().body, "hello");

  client.close();
  EXPECT_TRUE(route.closed.wait_for(1, 5s));  // on_close: the client went away
  EXPECT_FALSE(stream.send("data: late\n\n"));
  EXPECT_FALSE(stream.is_open());
}

TEST(HttpServerStream, CloseEndsTheChunkedBodyAndTheConnection) {
  StreamRoute route;
  HttpServer server(local());
  route.install(server);
  ASSERT_TRUE(server.start().ok());
  TestClient client(server.port());
  client.send(get_request("/events"));
  HttpStream stream = route.streams.take(0);
  stream.send("data: only\n\n");
  stream.close();
  auto response = client.read_response();  // chunked: complete once the last chunk arrived
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "data: only\n\n");
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(route.closed.wait_for(1, 5s));
}

TEST(HttpServerStream, StopEndsAnOpenStreamAndFiresOnClose) {
  StreamRoute route;
  auto server = std::make_unique<HttpServer>(local());
  route.install(*server);
  ASSERT_TRUE(server->start().ok());
  TestClient client(server->port());
  client.send(get_request("/events"));
  HttpStream stream = route.streams.take(0);
  ASSERT_TRUE(stream.send("data: before\n\n"));
  server->stop();
  EXPECT_TRUE(route.closed.wait_for(1, 5s));
  EXPECT_FALSE(stream.send("data: after\n\n"));
  auto response = client.read_response();
  EXPECT_EQ(response.body, "data: before\n\n");
  EXPECT_TRUE(client.wait_closed());
  server.reset();  // the handle outlives the server safely
  stream.close();
}

TEST(HttpServerStop, InFlightResponseFinishesAndIdleConnectionsClose) {
  Mailbox<std::shared_ptr<HttpResponder>> pending;  // before the server: outlives its handlers
  HttpServer server(local());
  server.route("GET", "/slow", [&](const ServerRequest&, HttpResponder out) {
    pending.put(std::make_shared<HttpResponder>(std::move(out)));
  });
  ASSERT_TRUE(server.start().ok());
  TestClient idle(server.port());
  TestClient busy(server.port());
  busy.send(get_request("/slow"));
  auto responder = pending.take(0);
  std::thread stopper([&] { server.stop(); });
  responder->respond(ServerResponse::text(200, "done"));
  auto response = busy.read_response();
  EXPECT_EQ(response.body, "done");
  EXPECT_TRUE(busy.wait_closed());
  EXPECT_TRUE(idle.wait_closed());
  busy.close();  // ends the server's drain after its close, so stop() need not wait it out
  stopper.join();
  responder->respond(ServerResponse::text(200, "again"));  // after stop: ignored, harmless
}

TEST(HttpServerLimits, ThousandIdleConnectionsDoNotStarveARequest) {
  aiw::testing::raise_fd_limit();
  HttpServer server(local());
  server.route("GET", "/health", [](const ServerRequest&, HttpResponder out) {
    out.respond(ServerResponse::json(200, "{\"status\":\"ok\"}"));
  });
  ASSERT_TRUE(server.start().ok());
  std::vector<std::unique_ptr<TestClient>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<TestClient>(server.port()));
    ASSERT_TRUE(idle.back()->connected()) << "connection " << i;
  }
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.stats().connections_open < 1000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GE(server.stats().connections_open, 1000u);
  TestClient client(server.port());
  client.send(get_request("/health"));
  auto response = client.read_response(5s);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{\"status\":\"ok\"}");
}

TEST(HttpServerLimits, SlowlorisIsClosedAfterTheHeaderTimeout) {
  HttpServer server(local({.header_timeout = 200ms}));
  server.route("GET", "/hello", [](const ServerRequest&, HttpResponder out) {
    out.respond(ServerResponse::text(200, "hello"));
  });
  ASSERT_TRUE(server.start().ok());
  TestClient slow(server.port());
  slow.send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n");  // the header never ends
  EXPECT_TRUE(slow.wait_closed(5s));
  TestClient silent(server.port());  // connects and sends nothing at all
  EXPECT_TRUE(silent.wait_closed(5s));
}

TEST(HttpServerLimits, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  HttpServer server(local({.idle_timeout = 200ms}));
  server.route("GET", "/hello", [](const ServerRequest&, HttpResponder out) {
    out.respond(ServerResponse::text(200, "hello"));
  });
  ASSERT_TRUE(server.start().ok());
  TestClient client(server.port());
  client.send(get_request("/hello"));
  EXPECT_EQ(client.read_response().status, 200);
  EXPECT_TRUE(client.wait_closed(5s));
}

TEST(HttpServerLimits, TwoIoThreadsServeConcurrentClients) {
  HttpServer server(local({.io_threads = 2}));
  server.route("POST", "/echo", [](const ServerRequest& request, HttpResponder out) {
    out.respond(ServerResponse::text(200, request.body));
  });
  ASSERT_TRUE(server.start().ok());
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      TestClient client(server.port());
      for (int i = 0; i < 50; ++i) {
        std::string body = std::to_string(c) + ":" + std::to_string(i);
        client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
        if (client.read_response().body == body) ++ok;
      }
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok.load(), 400);
}

}  // namespace
}  // namespace aiw::net
