// EventHub (GET /v1/jobs/{id}/events) against a real PostgreSQL: a stream subscribes with the
// job's state as the route read it; whatever changed after that read must still reach it.
#include <gtest/gtest.h>

#include "gateway/events.h"
#include "gateway_test_support.h"
#include "net/http_server.h"

namespace aiw::testing {
namespace {

class EventHubTest : public QueueTest {};

// The route reads the job, then subscribes; a change committed in between (its NOTIFY handled
// while nobody was subscribed) used to be lost, and when it was the final one the stream never
// ended. Here the job completes with no NOTIFY at all after the "read": only the hub's own read
// after subscribing can find it, whatever the timing.
TEST_F(EventHubTest, AJobThatFinishedBeforeItsStreamSubscribedStillGetsItsResultAndEnds) {
  const std::string user = add_user();
  std::vector<queue::NewJob> batch{job(user, "echo")};
  auto jobs = store()->enqueue(batch);
  ASSERT_EQ(jobs.size(), 1u);
  const std::string id = jobs[0];
  const std::string stale = R"({"id":")" + id + R"(","status":"pending"})";
  exec("update analysis_jobs set status = 'completed', result = '{\"ok\":true}', "
       "completed_at = now() where id = '" + id + "'");

  gateway::EventHub hub(url_);
  hub.start();
  // The hub reads every subscribed job once when it (re)connects; let that pass first, so only
  // the read after subscribing can find the change. (With the fix the test passes either way;
  // the wait is what lets it fail without it.)
  for (int i = 0; i < 100 && scalar("select count(*) from pg_stat_activity where state = 'idle' "
                                    "and query like 'LISTEN%aiw_job_events%'") != "1"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  net::HttpServerOptions options;
  options.host = "127.0.0.1";
  net::HttpServer server(options);
  server.route("GET", "/events", [&](const net::ServerRequest&, net::HttpResponder out) {
    hub.subscribe(id, stale, out.start_stream(200, {{"Content-Type", "text/event-stream"}}));
  });
  ASSERT_TRUE(server.start().ok());

  // The stream must end by itself: the request's timeout only bounds a failure.
  Http r = request("GET", "http://127.0.0.1:" + std::to_string(server.port()) + "/events", "", "", "", 20000);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"status\":\"pending\""), std::string::npos) << r.body;  // what it was given
  EXPECT_NE(r.body.find("event: result"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"status\": \"completed\""), std::string::npos) << r.body;
  server.stop();
  hub.stop();
}

// NOTIFYs are sent after their write commits, so a writer that dies in between loses one. Here
// the job completes with no NOTIFY at all while its stream is open: only the hub's periodic
// reread of its subscribed jobs can deliver the result and end the stream.
TEST_F(EventHubTest, AChangeWhoseNotificationWasLostStillReachesItsStreamByThePeriodicReread) {
  const std::string user = add_user();
  std::vector<queue::NewJob> batch{job(user, "echo")};
  auto jobs = store()->enqueue(batch);
  ASSERT_EQ(jobs.size(), 1u);
  const std::string id = jobs[0];

  gateway::EventHub hub(url_, std::chrono::milliseconds(300));
  hub.start();
  net::HttpServerOptions options;
  options.host = "127.0.0.1";
  net::HttpServer server(options);
  server.route("GET", "/events", [&](const net::ServerRequest&, net::HttpResponder out) {
    hub.subscribe(id, R"({"id":")" + id + R"(","status":"pending"})",
                  out.start_stream(200, {{"Content-Type", "text/event-stream"}}));
  });
  ASSERT_TRUE(server.start().ok());
  std::thread finisher([&] {
    while (hub.streams() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Past the hub's read right after subscribing: from here only the reread can see it.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    exec("update analysis_jobs set status = 'completed', result = '{\"ok\":true}', "
         "completed_at = now() where id = '" + id + "'");
  });

  Http r = request("GET", "http://127.0.0.1:" + std::to_string(server.port()) + "/events", "", "", "", 20000);
  finisher.join();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("event: result"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"status\": \"completed\""), std::string::npos) << r.body;
  server.stop();
  hub.stop();
}

}  // namespace
}  // namespace aiw::testing
