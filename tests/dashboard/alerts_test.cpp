// The gateway's alerts end to end: the real `aiw gateway` on a real PostgreSQL, a webhook
// receiver in the test, thresholds lowered (ALERT_PENDING_THRESHOLD=2, ALERT_WORKER_OFFLINE_MS=
// 1000) so each episode runs in seconds. Also: the admin routes refuse users, /admin serves the
// page to anyone and holds no secret.
#include <mutex>
#include <thread>
#include <vector>

#include "dashboard_test_support.h"
#include "fakes/http_server.h"

namespace aiw::testing {
namespace {

// Records every POST the gateway's monitor sends to ALERT_WEBHOOK_URL.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    server_.route("POST", "/hook", [this](const fakes::Request& req, fakes::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      content_types_.push_back(req.header("content-type"));
      res.status = 204;
    });
  }
  std::string url() const { return server_.url("/hook"); }
  // The bodies naming this alert, in order.
  std::vector<std::string> posts(const std::string& alert) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& b : bodies_)
      if (b.find("\"alert\":\"" + alert + "\"") != std::string::npos) out.push_back(b);
    return out;
  }
  std::vector<std::string> content_types() const {
    std::lock_guard lock(mu_);
    return content_types_;
  }

 private:
  fakes::HttpServer server_;
  mutable std::mutex mu_;
  std::vector<std::string> bodies_;
  std::vector<std::string> content_types_;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class AlertsTest : public DashboardTest {
 protected:
  std::unique_ptr<BackgroundProcess> start_alerting_gateway(const WebhookReceiver& hook) {
    return start_gateway({{"ALERT_PENDING_THRESHOLD", "2"},
                          {"ALERT_WORKER_OFFLINE_MS", "1000"},
                          {"ALERT_WEBHOOK_URL", hook.url()}});
  }
  std::string alerts() { return request("GET", "/v1/admin/alerts", service_token()).body; }
};

TEST_F(AlertsTest, QueueBacklogFiresOncePerEpisodeAndResolves) {
  beat_worker("alpha", {"sofia_image", "meal_plan"});  // a live worker: only the backlog alert
  WebhookReceiver hook;
  auto gateway = start_alerting_gateway(hook);
  ASSERT_GT(port_, 0);

  // At the threshold (2 pending): no alert.
  std::string user = add_user();
  auto s = store("test-client");
  std::vector<queue::NewJob> jobs = {job(user, "sofia_image"), job(user, "sofia_image")};
  std::vector<std::string> ids = s->enqueue(jobs);
  ASSERT_TRUE(eventually([&] { return contains(alerts(), R"("pending":2)"); }, std::chrono::seconds(10))) << alerts();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a tick or more
  EXPECT_FALSE(contains(alerts(), "queue_backlog")) << alerts();
  EXPECT_TRUE(hook.posts("queue_backlog").empty());

  // Above it (3 pending): firing, at the route and once at the webhook.
  queue::NewJob third = job(user, "meal_plan");
  ids.push_back(s->enqueue(std::span(&third, 1)).at(0));
  ASSERT_TRUE(eventually([&] { return contains(alerts(), R"("name":"queue_backlog")"); }, std::chrono::seconds(10)))
      << alerts() << "\n" << gateway->log();
  std::string body = alerts();
  EXPECT_TRUE(contains(body, "3 jobs are pending, more than 2 (ALERT_PENDING_THRESHOLD)")) << body;
  EXPECT_TRUE(contains(body, R"("thresholds":{"pending":2,"worker_offline_ms":1000})")) << body;
  EXPECT_FALSE(contains(body, "no_live_worker")) << body;
  ASSERT_TRUE(eventually([&] { return hook.posts("queue_backlog").size() == 1; }, std::chrono::seconds(10)));
  // Several more ticks while the episode lasts: still one POST.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  ASSERT_EQ(hook.posts("queue_backlog").size(), 1u);
  std::string firing = hook.posts("queue_backlog")[0];
  EXPECT_TRUE(std::regex_match(
      firing, std::regex(R"re(\{"alert":"queue_backlog","status":"firing","message":"3 jobs are pending[^"]*","since_unix_ms":\d{13}\})re")))
      << firing;
  EXPECT_TRUE(contains(alerts(), "queue_backlog"));
  for (const std::string& type : hook.content_types()) EXPECT_EQ(type, "application/json");

  // The episode ends (jobs cancelled): gone from the route, one "resolved" POST.
  exec("update analysis_jobs set status = 'cancelled', completed_at = now() where status = 'pending'");
  ASSERT_TRUE(eventually([&] { return !contains(alerts(), "queue_backlog"); }, std::chrono::seconds(10))) << alerts();
  ASSERT_TRUE(eventually([&] { return hook.posts("queue_backlog").size() == 2; }, std::chrono::seconds(10)));
  std::string resolved = hook.posts("queue_backlog")[1];
  EXPECT_TRUE(contains(resolved, R"("status":"resolved")")) << resolved;
  // The resolved POST names the episode it ends.
  std::smatch since_firing, since_resolved;
  ASSERT_TRUE(std::regex_search(firing, since_firing, std::regex(R"("since_unix_ms":(\d+))")));
  ASSERT_TRUE(std::regex_search(resolved, since_resolved, std::regex(R"("since_unix_ms":(\d+))")));
  EXPECT_EQ(since_firing[1], since_resolved[1]);

  // A new episode is a new POST.
  std::vector<queue::NewJob> more = {job(user, "sofia_image"), job(user, "sofia_image"), job(user, "meal_plan")};
  s->enqueue(more);
  ASSERT_TRUE(eventually([&] { return hook.posts("queue_backlog").size() == 3; }, std::chrono::seconds(10)));
  EXPECT_TRUE(contains(hook.posts("queue_backlog")[2], R"("status":"firing")"));
}

TEST_F(AlertsTest, NoLiveWorkerFiresAfterTheOfflineTimeAndResolvesWhenOneBeats) {
  WebhookReceiver hook;
  auto gateway = start_alerting_gateway(hook);
  ASSERT_GT(port_, 0);
  ASSERT_TRUE(eventually([&] { return contains(alerts(), R"("name":"no_live_worker")"); }, std::chrono::seconds(10)))
      << alerts() << "\n" << gateway->log();
  EXPECT_TRUE(contains(alerts(), R"("live_workers":0)"));
  EXPECT_TRUE(contains(alerts(), "(ALERT_WORKER_OFFLINE_MS)"));
  ASSERT_TRUE(eventually([&] { return hook.posts("no_live_worker").size() == 1; }, std::chrono::seconds(10)));
  EXPECT_TRUE(contains(hook.posts("no_live_worker")[0], R"("status":"firing")"));
  // The gateway's own row (serving no type) is not a worker.
  EXPECT_EQ(scalar("select count(*) from aiw_workers where id like 'gateway/%' and cardinality(types) = 0"), "1");

  // A worker beats: resolved, once.
  beat_worker("alpha", {"sofia_image"});
  ASSERT_TRUE(eventually([&] { return !contains(alerts(), "no_live_worker"); }, std::chrono::seconds(10))) << alerts();
  ASSERT_TRUE(eventually([&] { return hook.posts("no_live_worker").size() == 2; }, std::chrono::seconds(10)));
  EXPECT_TRUE(contains(hook.posts("no_live_worker")[1], R"("status":"resolved")"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(hook.posts("no_live_worker").size(), 2u);
  EXPECT_TRUE(contains(alerts(), R"("live_workers":1)")) << alerts();
}

TEST_F(AlertsTest, AdminRoutesAnswerOnlyTheServiceRole) {
  auto gateway = start_gateway();
  ASSERT_GT(port_, 0);
  std::string user = user_token(add_user());
  for (const char* path : {"/v1/admin/alerts", "/v1/admin/stats", "/v1/admin/flags"}) {
    HttpReply as_user = request("GET", path, user);
    EXPECT_EQ(as_user.status, 403) << path << ": " << as_user.body;
    EXPECT_TRUE(contains(as_user.body, "this route is for the service role")) << as_user.body;
    EXPECT_EQ(request("GET", path).status, 401) << path;
    EXPECT_EQ(request("GET", path, service_token()).status, 200) << path;
  }
  HttpReply put = request("PUT", "/v1/admin/flags/sofia_image", user, R"({"async_enabled":true})");
  EXPECT_EQ(put.status, 403) << put.body;
  EXPECT_EQ(scalar("select count(*) from aiw_flags"), "0");
  put = request("PUT", "/v1/admin/flags/sofia_image", service_token(), R"({"async_enabled":true,"canary_percent":10})");
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(scalar("select async_enabled::text || '/' || canary_percent from aiw_flags where type = 'sofia_image'"),
            "true/10");
}

TEST_F(AlertsTest, DashboardPageIsServedWithoutSecretsOrData) {
  auto gateway = start_gateway();
  ASSERT_GT(port_, 0);
  std::string content_type;
  HttpReply page = request("GET", "/admin", "", "", &content_type);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(contains(page.body, "<title>aiw dashboard</title>"));
  EXPECT_TRUE(contains(page.body, R"(data-testid="workers-alive")"));
  EXPECT_TRUE(contains(page.body, "/v1/admin/stats"));
  EXPECT_FALSE(contains(page.body, kSecret));
  EXPECT_FALSE(contains(page.body, "<script src")) << "the page must load nothing from elsewhere";
  EXPECT_FALSE(contains(page.body, "http://")) << "the page must load nothing from elsewhere";
  EXPECT_FALSE(contains(page.body, "https://")) << "the page must load nothing from elsewhere";
  // A token sent to /admin changes nothing: the page is the same for everyone.
  EXPECT_EQ(request("GET", "/admin", service_token()).body, page.body);
}

}  // namespace
}  // namespace aiw::testing
