// The Gemini simulator against docs/protocols.md section 2: shapes, SSE framing, the Google
// error envelope with RetryInfo, keys, and blocked answers.
#include <gtest/gtest.h>

#include <regex>

#include "fakes/sim/sim_internal.h"
#include "fakes/sim/simulator.h"
#include "sim_test_support.h"

namespace aiw::sim {
namespace {

using testing::parse;
using testing::post_json;

constexpr const char* kKey = "x-goog-api-key: test-key";
const std::string kRequest =
    R"({"systemInstruction":{"parts":[{"text":"You label photos. Reply in JSON."}]},
        "contents":[{"role":"user","parts":[{"text":"Describe the image."},
          {"inline_data":{"mime_type":"image/jpeg","data":"/9j/4AAQSkZJRgABAQ=="}}]}],
        "generationConfig":{"temperature":0.2,"maxOutputTokens":512,"responseMimeType":"application/json",
          "responseSchema":{"type":"OBJECT","properties":{"label":{"type":"STRING"},"count":{"type":"INTEGER"}},"required":["label","count"]}}})";

std::string generate_url(const Simulator& sim, const std::string& model = "gemini-2.5-flash") {
  return sim.url("/v1beta/models/" + model + ":generateContent");
}

TEST(SimGemini, GenerateContentAnswersEveryProtocolField) {
  Simulator sim;
  auto r = post_json(generate_url(sim), kRequest, {kKey});
  ASSERT_EQ(r.status, 200) << r.body;
  Json v = parse(r.body);
  const auto& candidate = v["candidates"][0];
  EXPECT_STREQ(candidate["content"]["role"].GetString(), "model");
  EXPECT_STREQ(candidate["finishReason"].GetString(), "STOP");
  EXPECT_EQ(candidate["index"].GetInt(), 0);
  Json answer = parse(candidate["content"]["parts"][0]["text"].GetString());  // JSON in a string
  EXPECT_TRUE(answer["label"].IsString());
  EXPECT_TRUE(answer["count"].IsInt());
  const auto& usage = v["usageMetadata"];
  EXPECT_EQ(usage["totalTokenCount"].GetInt(),
            usage["promptTokenCount"].GetInt() + usage["candidatesTokenCount"].GetInt());
  EXPECT_STREQ(usage["promptTokensDetails"][1]["modality"].GetString(), "IMAGE");
  EXPECT_EQ(usage["promptTokensDetails"][1]["tokenCount"].GetInt(), 258);
  EXPECT_STREQ(v["modelVersion"].GetString(), "gemini-2.5-flash");
  EXPECT_TRUE(v["responseId"].IsString());
  EXPECT_FALSE(v.HasMember("promptFeedback"));
}

TEST(SimGemini, SameRequestSameAnswerWithKeyInHeaderOrQuery) {
  Simulator sim;
  auto a = post_json(generate_url(sim), kRequest, {kKey});
  auto b = post_json(generate_url(sim) + "?key=test-key", kRequest);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(a.body, b.body);
}

TEST(SimGemini, ErrorsUseTheGoogleEnvelope) {
  Simulator sim;
  auto r = post_json(generate_url(sim), kRequest);  // no key at all
  EXPECT_EQ(r.status, 403);
  Json v = parse(r.body);
  EXPECT_EQ(v["error"]["code"].GetInt(), 403);
  EXPECT_STREQ(v["error"]["status"].GetString(), "PERMISSION_DENIED");
  EXPECT_NE(std::string(v["error"]["message"].GetString()).find("unregistered callers"),
            std::string::npos);

  auto knobs = sim.knobs(Service::kGemini);
  knobs.api_key = "good-key";
  sim.configure(Service::kGemini, knobs);
  r = post_json(generate_url(sim), kRequest, {"x-goog-api-key: bad-key"});
  EXPECT_EQ(r.status, 400);
  v = parse(r.body);
  EXPECT_STREQ(v["error"]["status"].GetString(), "INVALID_ARGUMENT");
  EXPECT_STREQ(v["error"]["message"].GetString(),
               "API key not valid. Please pass a valid API key.");
  EXPECT_STREQ(v["error"]["details"][0]["reason"].GetString(), "API_KEY_INVALID");

  r = post_json(generate_url(sim, "gpt-4"), kRequest, {"x-goog-api-key: good-key"});
  EXPECT_EQ(r.status, 404);
  EXPECT_STREQ(parse(r.body)["error"]["status"].GetString(), "NOT_FOUND");

  r = post_json(generate_url(sim), "{not json", {"x-goog-api-key: good-key"});
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(parse(r.body)["error"]["status"].GetString(), "INVALID_ARGUMENT");

  r = post_json(
      generate_url(sim),
      R"({"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"@@@"}}]}]})",
      {"x-goog-api-key: good-key"});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(std::string(parse(r.body)["error"]["message"].GetString())
                .find("contents[0].parts[0].inline_data.data"),
            std::string::npos);
}

TEST(SimGemini, RateLimitIs429ResourceExhaustedWithRetryInfo) {
  Simulator sim;
  auto knobs = sim.knobs(Service::kGemini);
  knobs.fail_status = 429;
  knobs.retry_after_s = 1.5;
  sim.configure(Service::kGemini, knobs);
  auto r = post_json(generate_url(sim), kRequest, {kKey});
  ASSERT_EQ(r.status, 429);
  Json v = parse(r.body);
  EXPECT_EQ(v["error"]["code"].GetInt(), 429);
  EXPECT_STREQ(v["error"]["status"].GetString(), "RESOURCE_EXHAUSTED");
  std::string delay;
  for (const auto& detail : v["error"]["details"].GetArray()) {
    if (std::string(detail["@type"].GetString()) == "type.googleapis.com/google.rpc.RetryInfo") {
      delay = detail["retryDelay"].GetString();
    }
  }
  EXPECT_EQ(delay, "1.5s");

  knobs.fail_status = 503;
  sim.configure(Service::kGemini, knobs);
  v = parse(post_json(generate_url(sim), kRequest, {kKey}).body);
  EXPECT_STREQ(v["error"]["status"].GetString(), "UNAVAILABLE");
  EXPECT_STREQ(v["error"]["message"].GetString(),
               "The model is overloaded. Please try again later.");
}

TEST(SimGemini, SafetyKnobBlocksThePromptOrTheCandidateWithStatus200) {
  Simulator sim;
  auto knobs = sim.knobs(Service::kGemini);
  knobs.safety = "prompt";
  sim.configure(Service::kGemini, knobs);
  auto r = post_json(generate_url(sim), kRequest, {kKey});
  ASSERT_EQ(r.status, 200);
  Json v = parse(r.body);
  EXPECT_FALSE(v.HasMember("candidates"));
  EXPECT_STREQ(v["promptFeedback"]["blockReason"].GetString(), "SAFETY");

  knobs.safety = "candidate";
  sim.configure(Service::kGemini, knobs);
  v = parse(post_json(generate_url(sim), kRequest, {kKey}).body);
  EXPECT_STREQ(v["candidates"][0]["finishReason"].GetString(), "SAFETY");
  EXPECT_FALSE(v["candidates"][0].HasMember("content"));
}

TEST(SimGemini, SseStreamIsDataEventsWithFinishAndUsageOnTheLastAndNoDone) {
  Simulator sim;
  const std::string request =
      R"({"contents":[{"parts":[{"text":"Write a few words about rivers and mountains"}]}]})";
  auto r = post_json(sim.url("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"),
                     request, {kKey});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
  // The SDKs' event regex.
  static const std::regex kEvent(R"(^data: (.*)(?:\n\n|\r\r|\r\n\r\n))");
  std::string rest = r.body, text;
  std::smatch m;
  std::vector<std::string> events;
  while (std::regex_search(rest, m, kEvent)) {
    events.push_back(m[1]);
    rest = m.suffix();
  }
  EXPECT_EQ(rest, "");
  ASSERT_GE(events.size(), 2u);
  for (size_t i = 0; i < events.size(); ++i) {
    Json v = parse(events[i]);
    ASSERT_TRUE(v.IsObject()) << events[i];
    text += v["candidates"][0]["content"]["parts"][0]["text"].GetString();
    const bool last = i + 1 == events.size();
    EXPECT_EQ(v["candidates"][0].HasMember("finishReason"), last);
    EXPECT_EQ(v.HasMember("usageMetadata"), last);
  }
  Json whole = parse(
      post_json(sim.url("/v1beta/models/gemini-2.0-flash:generateContent"), request, {kKey}).body);
  EXPECT_EQ(text, whole["candidates"][0]["content"]["parts"][0]["text"].GetString());

  // Without alt=sse: one JSON array of the same responses.
  auto array =
      post_json(sim.url("/v1beta/models/gemini-2.0-flash:streamGenerateContent"), request, {kKey});
  Json a = parse(array.body);
  ASSERT_TRUE(a.IsArray()) << array.body;
  EXPECT_EQ(a.Size(), events.size());
}

TEST(SimGemini, SnakeCaseFieldsAndEnumMimeTypeAreAccepted) {
  Simulator sim;
  auto r = post_json(generate_url(sim),
                     R"({"contents":[{"parts":[{"text":"Is this food healthy?"}]}],
                         "generation_config":{"response_mime_type":"text/x.enum",
                           "response_schema":{"type":"STRING","enum":["healthy","unhealthy"]}}})",
                     {kKey});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(parse(r.body)["candidates"][0]["content"]["parts"][0]["text"].GetString(),
               "healthy");
}

TEST(SimGemini, MaxOutputTokensCutsWithFinishReasonMaxTokens) {
  Simulator sim;
  Json v = parse(
      post_json(
          generate_url(sim),
          R"({"contents":[{"parts":[{"text":"Hello there"}]}],"generationConfig":{"maxOutputTokens":1}})",
          {kKey})
          .body);
  EXPECT_STREQ(v["candidates"][0]["finishReason"].GetString(), "MAX_TOKENS");
}

}  // namespace
}  // namespace aiw::sim
