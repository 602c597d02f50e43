// The dashboard in a real browser: Debian's headless Chromium loads /admin#token=<service key>
// from the real gateway, the page fetches the admin routes and draws them, and the test reads
// every number back from the dumped DOM (data-testid, data-value) and compares it with the
// database. A screenshot is saved to <build>/artifacts/dashboard.png.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "dashboard_test_support.h"
#include "support/process.h"

namespace aiw::testing {
namespace {

// The browser: $AIW_CHROMIUM, else Debian's chromium on PATH's usual places.
std::string find_chromium() {
  if (const char* env = std::getenv("AIW_CHROMIUM"); env != nullptr && *env != '\0') return env;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/local/bin/chromium"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

// One element of the dumped DOM, found by its data-testid.
struct Element {
  std::string tag;    // the start tag, attributes included
  std::string value;  // data-value ("" when absent)
  std::string text;   // the text up to the next tag
};

std::optional<Element> find_testid(const std::string& dom, const std::string& testid) {
  std::string needle = "data-testid=\"" + testid + "\"";
  size_t at = dom.find(needle);
  if (at == std::string::npos) return std::nullopt;
  size_t start = dom.rfind('<', at);
  size_t end = dom.find('>', at);
  if (start == std::string::npos || end == std::string::npos) return std::nullopt;
  Element e;
  e.tag = dom.substr(start, end - start + 1);
  std::smatch m;
  if (std::regex_search(e.tag, m, std::regex(R"re(data-value="([^"]*)")re"))) e.value = m[1];
  size_t close = dom.find('<', end);
  e.text = dom.substr(end + 1, close == std::string::npos ? std::string::npos : close - end - 1);
  return e;
}

class DashboardBrowserTest : public DashboardTest {
 protected:
  std::string chromium_ = find_chromium();
  TempDir profile_{"aiw-chromium-profile"};

  test::ProcessResult run_chromium(const std::vector<std::string>& extra, const std::string& url) {
    std::vector<std::string> argv = {chromium_,
                                     "--headless=new",
                                     "--no-sandbox",  // root in containers and CI
                                     "--disable-gpu",
                                     "--disable-dev-shm-usage",
                                     "--no-first-run",
                                     "--no-default-browser-check",
                                     "--disable-extensions",
                                     "--disable-background-networking",
                                     "--user-data-dir=" + profile_.path().string(),
                                     "--virtual-time-budget=8000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    return test::run_process(argv, {}, std::chrono::seconds(90));
  }

  // The page's DOM after its first data load (data-loaded="true"); a few tries, since the
  // first load races the virtual time budget on a busy machine.
  std::string loaded_dom(const std::string& url) {
    std::string last;
    for (int attempt = 0; attempt < 5; ++attempt) {
      test::ProcessResult r = run_chromium({"--dump-dom"}, url);
      last = r.out;
      if (last.find("data-loaded=\"true\"") != std::string::npos) return last;
      if (r.exit_code != 0 && last.empty())
        ADD_FAILURE() << "chromium exited " << r.exit_code << " (signal " << r.term_signal << "):\n" << r.err;
    }
    ADD_FAILURE() << "the dashboard never finished its first load; last DOM:\n" << last;
    return last;
  }
};

TEST_F(DashboardBrowserTest, ShowsTheNumbersOfTheDatabase) {
  ASSERT_FALSE(chromium_.empty())
      << "Chromium is not installed: run packaging/install-deps.sh (it installs Debian's chromium "
         "package), or point AIW_CHROMIUM at a Chromium binary.";

  // Known jobs: two types, every status, finished ones with known processing times.
  no_user_limit();
  std::string user = add_user();
  auto s = store("test-client");
  std::vector<queue::NewJob> jobs;
  for (int i = 0; i < 8; ++i) jobs.push_back(job(user, "sofia_image", R"({"x":)" + std::to_string(i) + "}"));
  for (int i = 0; i < 5; ++i) jobs.push_back(job(user, "meal_plan", R"({"x":)" + std::to_string(i) + "}"));
  std::vector<std::string> ids = s->enqueue(jobs);
  auto finish = [&](const std::string& id, const std::string& status, int ms, const std::string& ago,
                    int attempts) {
    // Created 50 ms before it started: queue wait 50 ms, total = ms + 50.
    exec("update analysis_jobs set status = '" + status + "', attempts = " + std::to_string(attempts) +
         ", processing_time_ms = " + std::to_string(ms) + ", created_at = now() - interval '" + ago +
         "' - interval '" + std::to_string(ms + 50) + " milliseconds', started_at = now() - interval '" + ago +
         "' - interval '" + std::to_string(ms) + " milliseconds', completed_at = now() - interval '" + ago +
         "', error = case when '" + status + "' = 'failed' then 'the model said no' end where id = '" + id + "'");
  };
  finish(ids[0], "completed", 100, "5 seconds", 1);
  finish(ids[1], "completed", 200, "10 seconds", 1);
  finish(ids[2], "completed", 300, "15 seconds", 2);  // retried once
  finish(ids[3], "completed", 400, "10 minutes", 1);
  finish(ids[4], "completed", 500, "20 minutes", 1);
  finish(ids[5], "failed", 900, "5 minutes", 3);
  exec("update analysis_jobs set status = 'processing', attempts = 1, started_at = now(), worker_id = 'alpha/test' "
       "where id = '" + ids[6] + "'");
  // ids[7]: pending
  finish(ids[8], "completed", 1000, "30 seconds", 1);
  finish(ids[9], "completed", 3000, "2 minutes", 2);
  exec("update analysis_jobs set status = 'cancelled', completed_at = now() where id = '" + ids[10] + "'");
  // ids[11], ids[12]: pending
  beat_worker("alpha", {"sofia_image", "meal_plan"});
  beat_worker("beta", {"meal_plan"}, "stopped");

  auto gateway = start_gateway({{"ALERT_PENDING_THRESHOLD", "2"}});
  ASSERT_GT(port_, 0);
  // The monitor's first ticks: the backlog alert (3 pending > 2) is up before the browser looks.
  ASSERT_TRUE(eventually([&] { return request("GET", "/v1/admin/alerts", service_token()).body.find("queue_backlog") !=
                                      std::string::npos; },
                         std::chrono::seconds(10)));
  ASSERT_EQ(request("PUT", "/v1/admin/flags/meal_plan", service_token(), R"({"async_enabled":true,"canary_percent":25})")
                .status,
            200);

  const std::string key = service_token();
  const std::string url = base_url() + "/admin#token=" + key;
  std::string dom = loaded_dom(url);
  ASSERT_NE(dom.find("data-loaded=\"true\""), std::string::npos);

  auto value = [&](const std::string& testid) -> std::string {
    auto e = find_testid(dom, testid);
    EXPECT_TRUE(e.has_value()) << "no element with data-testid=\"" << testid << "\" in the page";
    return e ? e->value : "";
  };
  auto text = [&](const std::string& testid) -> std::string {
    auto e = find_testid(dom, testid);
    EXPECT_TRUE(e.has_value()) << "no element with data-testid=\"" << testid << "\" in the page";
    return e ? e->text : "";
  };
  auto number = [&](const std::string& testid) -> double {
    std::string v = value(testid);
    EXPECT_FALSE(v.empty()) << testid << " shows no number";
    return v.empty() ? std::nan("") : std::stod(v);
  };

  // Counts by status, overall and by type, as the database has them.
  const char* statuses[] = {"pending", "processing", "completed", "failed", "cancelled"};
  for (const char* status : statuses) {
    std::string db = scalar(std::string("select count(*) from analysis_jobs where status = '") + status + "'");
    EXPECT_EQ(value(std::string("count-") + status), db) << status;
    EXPECT_EQ(text(std::string("count-") + status), db) << status;
    for (const char* type : {"sofia_image", "meal_plan"}) {
      std::string n = scalar(std::string("select count(*) from analysis_jobs where type = '") + type +
                             "' and status = '" + status + "'");
      EXPECT_EQ(value(std::string("count-") + type + "-" + status), n) << type << " " << status;
    }
  }
  EXPECT_EQ(value("count-total"), scalar("select count(*) from analysis_jobs"));
  EXPECT_EQ(value("count-sofia_image-completed"), "5");  // the seed, as a sanity check of the query

  // Throughput and rates over the last hour.
  EXPECT_EQ(value("throughput-per-minute"),
            scalar("select count(*) from analysis_jobs where status = 'completed' and completed_at > now() - interval '1 minute'"));
  EXPECT_EQ(value("throughput-per-minute"), "4");
  EXPECT_EQ(value("completed-last-hour"),
            scalar("select count(*) from analysis_jobs where status = 'completed' and completed_at > now() - interval '1 hour'"));
  EXPECT_EQ(value("failed-last-hour"),
            scalar("select count(*) from analysis_jobs where status = 'failed' and completed_at > now() - interval '1 hour'"));
  const std::string finished = "from analysis_jobs where status in ('completed', 'failed') and completed_at > now() - interval '1 hour'";
  EXPECT_NEAR(number("error-rate"), std::stod(scalar("select count(*) filter (where status = 'failed')::float8 / count(*) " + finished)), 1e-3);
  EXPECT_NEAR(number("retry-rate"), std::stod(scalar("select count(*) filter (where attempts > 1)::float8 / count(*) " + finished)), 1e-3);
  EXPECT_EQ(text("error-rate"), "12.5 %");  // 1 failed of 8 finished

  // Per type: throughput, p95 and mean processing, error and retry rates.
  for (const char* type : {"sofia_image", "meal_plan"}) {
    std::string t = type;
    const std::string of_type = " from analysis_jobs where type = '" + t + "' and completed_at > now() - interval '1 hour'";
    EXPECT_EQ(value("throughput-" + t),
              scalar("select count(*)" + of_type + " and status = 'completed' and completed_at > now() - interval '1 minute'"));
    EXPECT_NEAR(number("p95-" + t),
                std::stod(scalar("select percentile_cont(0.95) within group (order by processing_time_ms)" + of_type +
                                 " and status = 'completed'")), 0.5) << t;
    EXPECT_NEAR(number("mean-" + t), std::stod(scalar("select avg(processing_time_ms)" + of_type + " and status = 'completed'")),
                0.5) << t;
    EXPECT_NEAR(number("error-rate-" + t),
                std::stod(scalar("select count(*) filter (where status = 'failed')::float8 / count(*)" + of_type +
                                 " and status in ('completed', 'failed')")), 1e-3) << t;
    EXPECT_NEAR(number("retry-rate-" + t),
                std::stod(scalar("select count(*) filter (where attempts > 1)::float8 / count(*)" + of_type +
                                 " and status in ('completed', 'failed')")), 1e-3) << t;
  }
  EXPECT_NEAR(number("p95-sofia_image"), 480, 0.5);  // 100..500 ms
  EXPECT_EQ(text("p95-sofia_image"), "480 ms");
  EXPECT_NEAR(number("mean-meal_plan"), 2000, 0.5);
  for (const char* type : {"sofia_image", "meal_plan"}) {
    std::string t = type;
    EXPECT_NEAR(number("p95-total-" + t),
                std::stod(scalar("select percentile_cont(0.95) within group (order by extract(epoch from completed_at - created_at) * 1000) "
                                 "from analysis_jobs where type = '" + t + "' and status = 'completed' and completed_at > now() - interval '1 hour'")),
                0.5) << t;
  }
  EXPECT_NEAR(number("p95-total-sofia_image"), 530, 0.5);  // processing + the 50 ms wait

  // Workers: job workers alive per their lease (the gateway's own row serves no type).
  EXPECT_EQ(value("workers-alive"),
            scalar("select count(*) from aiw_workers where cardinality(types) > 0 and status <> 'stopped' "
                   "and heartbeat_at > now() - lease_ms * interval '1 millisecond'"));
  EXPECT_EQ(value("workers-alive"), "1");
  EXPECT_EQ(value("workers-total"), scalar("select count(*) from aiw_workers where cardinality(types) > 0"));
  EXPECT_EQ(value("worker-alpha-alive"), "true");
  EXPECT_EQ(value("worker-beta-alive"), "false");
  EXPECT_EQ(scalar("select '" + value("worker-alpha-heartbeat") + "'::timestamptz = heartbeat_at from aiw_workers where id = 'alpha'"),
            "t");
  EXPECT_NE(text("worker-alpha-heartbeat").find(" ago"), std::string::npos);

  // Alerts and flags.
  EXPECT_EQ(value("alerts-count"), "1");
  EXPECT_EQ(value("alerts-pending"), scalar("select count(*) from analysis_jobs where status = 'pending'"));
  ASSERT_TRUE(find_testid(dom, "alert-queue_backlog").has_value()) << dom;
  EXPECT_EQ(value("flag-meal_plan-async"), scalar("select async_enabled::text from aiw_flags where type = 'meal_plan'"));
  EXPECT_EQ(value("flag-meal_plan-canary"), scalar("select canary_percent from aiw_flags where type = 'meal_plan'"));
  EXPECT_EQ(value("flag-sofia_image-async"), "false");  // no row: GATEWAY_ASYNC_DEFAULT
  EXPECT_TRUE(find_testid(dom, "error")->tag.find("hidden") != std::string::npos) << find_testid(dom, "error")->tag;
  // The key left the address bar and never appears in the page.
  EXPECT_EQ(dom.find(key), std::string::npos);

  // The screenshot, for people.
  std::filesystem::path artifacts = std::filesystem::path(AIW_BINARY_DIR) / "artifacts";
  std::filesystem::create_directories(artifacts);
  std::filesystem::path png = artifacts / "dashboard.png";
  std::filesystem::remove(png);
  test::ProcessResult shot = run_chromium({"--screenshot=" + png.string(), "--window-size=1280,1000",
                                           "--hide-scrollbars", "--run-all-compositor-stages-before-draw"},
                                          url);
  ASSERT_TRUE(std::filesystem::exists(png)) << "chromium wrote no screenshot (exit " << shot.exit_code << "):\n" << shot.err;
  EXPECT_GT(std::filesystem::file_size(png), 10000u);
  std::ifstream in(png, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  EXPECT_EQ(std::string(magic, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << "not a PNG: " << png;
}

TEST_F(DashboardBrowserTest, AWrongKeyIsShownAsASentence) {
  ASSERT_FALSE(chromium_.empty())
      << "Chromium is not installed: run packaging/install-deps.sh (it installs Debian's chromium "
         "package), or point AIW_CHROMIUM at a Chromium binary.";
  auto gateway = start_gateway();
  ASSERT_GT(port_, 0);
  // A user's token: 403. The page says so in words and draws no numbers.
  std::string user = user_token(add_user());
  test::ProcessResult r = run_chromium({"--dump-dom"}, base_url() + "/admin#token=" + user);
  auto error = find_testid(r.out, "error");
  ASSERT_TRUE(error.has_value()) << r.out << r.err;
  EXPECT_EQ(error->tag.find("hidden"), std::string::npos) << error->tag;
  EXPECT_NE(error->text.find("not the service role's (403"), std::string::npos) << error->text;
  EXPECT_NE(r.out.find("data-loaded=\"false\""), std::string::npos);
  // No key at all: the page asks for one.
  r = run_chromium({"--dump-dom"}, base_url() + "/admin");
  error = find_testid(r.out, "error");
  ASSERT_TRUE(error.has_value()) << r.out << r.err;
  EXPECT_NE(error->text.find("Paste the service-role key"), std::string::npos) << error->text;
}

}  // namespace
}  // namespace aiw::testing
