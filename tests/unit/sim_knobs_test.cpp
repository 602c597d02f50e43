// Fault and control knobs: which requests fail and how, and the /_sim control endpoints.
// No assertion depends on timing beyond a lower bound (latency makes an answer no sooner).
#include <gtest/gtest.h>

#include <chrono>

#include "fakes/sim/simulator.h"
#include "sim_test_support.h"

namespace aiw::sim {
namespace {

using testing::http;
using testing::parse;
using testing::post_json;

std::string version_url(const Simulator& sim) { return sim.url("/api/version"); }

TEST(SimKnobs, PickFaultHitsEveryNthOrAnEvenlySpreadFraction) {
  Knobs knobs;
  EXPECT_EQ(pick_fault(knobs, 1), Fault::kNone);
  knobs.fail_status = 503;
  knobs.fail_every = 3;
  std::string seen;
  for (uint64_t n = 1; n <= 6; ++n) seen += pick_fault(knobs, n) == Fault::kStatus ? 'x' : '.';
  EXPECT_EQ(seen, "..x..x");
  knobs.fail_every = 0;
  knobs.error_rate = 0.25;
  seen.clear();
  for (uint64_t n = 1; n <= 8; ++n) seen += pick_fault(knobs, n) == Fault::kStatus ? 'x' : '.';
  EXPECT_EQ(seen, "...x...x");
  Knobs rate_only;
  rate_only.error_rate = 1;
  EXPECT_EQ(pick_fault(rate_only, 1), Fault::kStatus);  // a 500 when no fault is named
  Knobs both;
  both.down = both.hang = true;
  EXPECT_EQ(pick_fault(both, 1), Fault::kDown);
}

TEST(SimKnobs, FailEveryOtherRequestWithRetryAfterAndCountersAgree) {
  Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(
      R"({"ollama":{"fail_status":429,"fail_every":2,"retry_after_s":2.5}})", error))
      << error;
  std::vector<long> statuses;
  for (int i = 0; i < 4; ++i) {
    auto r = http("GET", version_url(sim));
    statuses.push_back(r.status);
    if (r.status == 429) {
      EXPECT_EQ(r.header("retry-after"), "3");
      EXPECT_EQ(r.body, R"({"error":"rate limit exceeded"})");
    }
  }
  EXPECT_EQ(statuses, (std::vector<long>{200, 429, 200, 429}));
  auto stats = sim.stats(Service::kOllama);
  EXPECT_EQ(stats.requests, 4u);
  EXPECT_EQ(stats.faults, 2u);
  EXPECT_EQ(stats.statuses[200], 2u);
  EXPECT_EQ(stats.statuses[429], 2u);
  Json json = parse(http("GET", sim.url("/_sim/stats")).body);
  EXPECT_EQ(json["ollama"]["requests"].GetUint64(), 4u);
  EXPECT_EQ(json["ollama"]["statuses"]["429"].GetUint64(), 2u);
  EXPECT_EQ(json["gemini"]["requests"].GetUint64(), 0u);  // services count apart
}

TEST(SimKnobs, HangNeverAnswersWithinTheClientTimeout) {
  Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"yolo":{"hang":true}})", error));
  auto r = http("POST", sim.url("/v1/predict"), "x", {.timeout_ms = 300});
  EXPECT_EQ(r.code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(http("GET", version_url(sim)).status, 200);  // other services unaffected
}

TEST(SimKnobs, DownClosesTheConnectionWithoutAWord) {
  Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"gemini":{"down":true}})", error));
  auto r = post_json(sim.url("/v1beta/models/gemini-2.5-flash:generateContent"), "{}");
  EXPECT_EQ(r.code, CURLE_GOT_NOTHING);
}

TEST(SimKnobs, TruncateSendsLessThanContentLength) {
  Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"images":{"truncate":true}})", error));
  auto r = http("GET", sim.url("/images/meal.png"));
  EXPECT_EQ(r.code, CURLE_PARTIAL_FILE);
  EXPECT_LT(r.body.size(), std::stoul(r.header("content-length")));
  // A streamed answer is cut the same way.
  ASSERT_TRUE(sim.configure_json(R"({"ollama":{"truncate":true}})", error));
  r = post_json(sim.url("/api/chat"),
                R"({"model":"llava","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(r.code, CURLE_PARTIAL_FILE);
}

TEST(SimKnobs, MalformedAnswersTwoHundredWithBrokenJson) {
  Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"gemini":{"malformed":true}})", error));
  auto r = post_json(sim.url("/v1beta/models/gemini-2.5-flash:generateContent"),
                     R"({"contents":[{"parts":[{"text":"hi"}]}]})", {"x-goog-api-key: k"});
  EXPECT_EQ(r.status, 200);
  Json doc;
  EXPECT_FALSE(parse_json(r.body, doc));
}

TEST(SimKnobs, LatencyDelaysByAtLeastItsValueButStillAnswers) {
  Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"ollama":{"latency_ms":50,"stream_interval_ms":5}})", error));
  // Only the lower bound: a loaded machine may answer later, never sooner.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(http("GET", version_url(sim)).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  start = std::chrono::steady_clock::now();
  auto r = post_json(sim.url("/api/chat"),
                     R"({"model":"llava","messages":[{"role":"user","content":"hi there"}]})");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_TRUE(parse(testing::lines_of(r.body).back())["done"].GetBool());
}

TEST(SimKnobs, ControlEndpointSetsReadsRejectsAndResets) {
  SimConfig config;
  config.images.latency_ms = 7;
  Simulator sim(config);
  auto r = post_json(sim.url("/_sim/config"),
                     R"({"ollama":{"fail_status":500},"gemini":{"answer_style":"fenced"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json current = parse(http("GET", sim.url("/_sim/config")).body);
  EXPECT_EQ(current["ollama"]["fail_status"].GetInt(), 500);
  EXPECT_STREQ(current["gemini"]["answer_style"].GetString(), "fenced");
  EXPECT_EQ(current["images"]["latency_ms"].GetInt(), 7);
  EXPECT_EQ(http("GET", version_url(sim)).status, 500);

  // A typo changes nothing, not even the valid part.
  r = post_json(sim.url("/_sim/config"), R"({"yolo":{"hang":true},"ollama":{"latency":5}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(std::string(parse(r.body)["error"].GetString()).find("unknown knob 'latency'"),
            std::string::npos);
  EXPECT_FALSE(sim.knobs(Service::kYolo).hang);
  EXPECT_EQ(post_json(sim.url("/_sim/config"), R"({"openai":{}})").status, 400);

  EXPECT_EQ(post_json(sim.url("/_sim/reset"), "").status, 200);
  EXPECT_EQ(sim.knobs(Service::kOllama).fail_status, 0);
  EXPECT_EQ(sim.knobs(Service::kImages).latency_ms, 7);  // back to the start-up knobs
  EXPECT_EQ(sim.stats(Service::kOllama).requests, 0u);
  EXPECT_EQ(http("GET", version_url(sim)).status, 200);
}

TEST(SimKnobs, ApplyConfigJsonIsAllOrNothing) {
  SimConfig config;
  std::string error;
  EXPECT_TRUE(apply_config_json(R"({"yolo":{"fail_status":503,"models":["a"]}})", config, error));
  EXPECT_EQ(config.yolo.fail_status, 503);
  EXPECT_FALSE(apply_config_json(R"({"yolo":{"fail_status":"x"}})", config, error));
  EXPECT_EQ(config.yolo.fail_status, 503);
  EXPECT_NE(error.find("wrong type"), std::string::npos);
}

}  // namespace
}  // namespace aiw::sim
