// The Ollama simulator against docs/protocols.md section 1, field by field.
#include <gtest/gtest.h>

#include <regex>

#include "fakes/sim/sim_internal.h"
#include "fakes/sim/simulator.h"
#include "sim_test_support.h"

namespace aiw::sim {
namespace {

using testing::lines_of;
using testing::parse;
using testing::post_json;

constexpr const char* kChat =
    R"({"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"Why is the sky blue?"}]})";

void expect_metrics(const JsonValue& v) {
  for (const char* name : {"total_duration", "load_duration", "prompt_eval_count",
                           "prompt_eval_duration", "eval_count", "eval_duration"}) {
    ASSERT_TRUE(v.HasMember(name)) << name;
    EXPECT_TRUE(v[name].IsInt64()) << name;
    EXPECT_GT(v[name].GetInt64(), 0) << name;
  }
}

void expect_created_at(const JsonValue& v) {
  static const std::regex kRfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)");
  ASSERT_TRUE(v["created_at"].IsString());
  EXPECT_TRUE(std::regex_match(v["created_at"].GetString(), kRfc3339))
      << v["created_at"].GetString();
}

TEST(SimOllama, ChatWithoutStreamingAnswersOneObjectWithEveryProtocolField) {
  Simulator sim;
  auto r = post_json(sim.url("/api/chat"), kChat);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0u);
  Json v = parse(r.body);
  ASSERT_TRUE(v.IsObject()) << r.body;
  EXPECT_STREQ(v["model"].GetString(), "llama3.2");
  expect_created_at(v);
  EXPECT_STREQ(v["message"]["role"].GetString(), "assistant");
  EXPECT_GT(v["message"]["content"].GetStringLength(), 0u);
  EXPECT_TRUE(v["done"].GetBool());
  EXPECT_STREQ(v["done_reason"].GetString(), "stop");
  expect_metrics(v);
}

TEST(SimOllama, ChatStreamsNdjsonByDefaultEndingWithDoneAndCounts) {
  Simulator sim;
  const std::string request =
      R"({"model":"llama3.2","messages":[{"role":"user","content":"Tell me a story."}]})";
  auto r = post_json(sim.url("/api/chat"), request);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/x-ndjson");
  EXPECT_EQ(r.body.back(), '\n');
  auto lines = lines_of(r.body);
  ASSERT_GE(lines.size(), 3u);
  std::string streamed;
  for (size_t i = 0; i < lines.size(); ++i) {
    Json v = parse(lines[i]);
    ASSERT_TRUE(v.IsObject()) << "line " << i << ": " << lines[i];
    EXPECT_STREQ(v["model"].GetString(), "llama3.2");
    expect_created_at(v);
    const bool last = i + 1 == lines.size();
    EXPECT_EQ(v["done"].GetBool(), last);
    streamed += v["message"]["content"].GetString();
    if (last) {
      EXPECT_STREQ(v["message"]["content"].GetString(), "");
      EXPECT_STREQ(v["done_reason"].GetString(), "stop");
      expect_metrics(v);
    } else {
      EXPECT_FALSE(v.HasMember("eval_count"));
    }
  }
  // The stream carries the very answer a non-streaming call gets.
  Json whole = parse(
      post_json(
          sim.url("/api/chat"),
          R"({"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"Tell me a story."}]})")
          .body);
  EXPECT_EQ(streamed, whole["message"]["content"].GetString());
}

TEST(SimOllama, GenerateAnswersInResponseStreamedOrNot) {
  Simulator sim;
  auto r = post_json(sim.url("/api/generate"),
                     R"({"model":"llava:latest","prompt":"hello","stream":false})");
  ASSERT_EQ(r.status, 200);
  Json v = parse(r.body);
  EXPECT_FALSE(v.HasMember("message"));
  EXPECT_GT(v["response"].GetStringLength(), 0u);
  EXPECT_TRUE(v["done"].GetBool());
  expect_metrics(v);

  auto s = post_json(sim.url("/api/generate"), R"({"model":"llava:latest","prompt":"hello"})");
  auto lines = lines_of(s.body);
  std::string streamed;
  for (const auto& line : lines) streamed += parse(line)["response"].GetString();
  EXPECT_EQ(streamed, v["response"].GetString());
  EXPECT_TRUE(parse(lines.back())["done"].GetBool());
}

TEST(SimOllama, SameRequestSameAnswerAndAnotherImageAnotherAnswer) {
  Simulator sim;
  auto ask = [&](const std::string& image) {
    auto body =
        R"({"model":"llava","stream":false,"format":"json","messages":[{"role":"user","content":"What food is this?","images":[")" +
        base64_encode(image) + R"("]}]})";
    return std::string(
        parse(post_json(sim.url("/api/chat"), body).body)["message"]["content"].GetString());
  };
  EXPECT_EQ(ask("picture one"), ask("picture one"));
  EXPECT_NE(ask("picture one"), ask("picture two"));
}

TEST(SimOllama, FoodQuestionWithFormatJsonAnswersTacoFoodsAsAString) {
  Simulator sim;
  auto r = post_json(sim.url("/api/chat"),
                     R"({"model":"llava","stream":false,"format":"json","messages":[
                        {"role":"system","content":"You are a nutritionist."},
                        {"role":"user","content":"Estimate the calories of this meal","images":["/9j/4AAQSkZJRg=="]}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json content = parse(parse(r.body)["message"]["content"].GetString());  // JSON inside a string
  ASSERT_TRUE(content.IsObject());
  ASSERT_TRUE(content["foods"].IsArray());
  ASSERT_GE(content["foods"].Size(), 1u);
  for (const auto& food : content["foods"].GetArray()) {
    EXPECT_TRUE(food["name"].IsString());
    EXPECT_GT(food["grams"].GetInt(), 0);
  }
  EXPECT_GT(content["calories"].GetDouble(), 0);
}

TEST(SimOllama, SchemaFormatFromProtocolsExampleGetsConformingJson) {
  Simulator sim;
  auto r = post_json(sim.url("/api/chat"), R"({"model":"llava","stream":false,
      "format":{"type":"object","properties":{"label":{"type":"string"},"count":{"type":"integer"}},"required":["label","count"]},
      "messages":[{"role":"user","content":"What is in this image?"}]})");
  Json content = parse(parse(r.body)["message"]["content"].GetString());
  ASSERT_TRUE(content.IsObject());
  EXPECT_TRUE(content["label"].IsString());
  EXPECT_TRUE(content["count"].IsInt());
}

TEST(SimOllama, ErrorsUseOllamaShapeAndStatus) {
  Simulator sim;
  auto r = post_json(sim.url("/api/chat"),
                     R"({"model":"llama9","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"model 'llama9' not found"})");

  r = post_json(sim.url("/api/chat"), "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"missing request body"})");

  r = post_json(sim.url("/api/generate"), R"({"prompt":"hi"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"model is required"})");

  r = post_json(
      sim.url("/api/chat"),
      R"({"model":"llava","messages":[{"role":"user","content":"x","images":["not*base64"]}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"illegal base64 data at input byte 3"})");

  r = post_json(sim.url("/api/chat"),
                R"({"model":"llava","format":"yaml","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(
      parse(r.body)["error"].GetString(),
      std::string(R"(invalid format: "yaml"; expected "json" or a valid JSON Schema object)"));
}

TEST(SimOllama, EmptyMessagesOnlyLoadTheModelAndKeepAliveZeroUnloads) {
  Simulator sim;
  Json v = parse(post_json(sim.url("/api/chat"), R"({"model":"llava","messages":[]})").body);
  EXPECT_TRUE(v["done"].GetBool());
  EXPECT_STREQ(v["done_reason"].GetString(), "load");
  v = parse(post_json(sim.url("/api/generate"), R"({"model":"llava","keep_alive":0})").body);
  EXPECT_STREQ(v["done_reason"].GetString(), "unload");
}

TEST(SimOllama, NumPredictCutsTheAnswerWithDoneReasonLength) {
  Simulator sim;
  Json v = parse(
      post_json(
          sim.url("/api/generate"),
          R"({"model":"llava","prompt":"long story","stream":false,"options":{"num_predict":2,"temperature":0}})")
          .body);
  EXPECT_STREQ(v["done_reason"].GetString(), "length");
  EXPECT_LE(v["response"].GetStringLength(), 8u);
}

TEST(SimOllama, MidstreamErrorEndsTheStreamWithAnErrorLineAndStatus200) {
  Simulator sim;
  auto knobs = sim.knobs(Service::kOllama);
  knobs.midstream_error = true;
  sim.configure(Service::kOllama, knobs);
  auto r = post_json(
      sim.url("/api/chat"),
      R"({"model":"llava","messages":[{"role":"user","content":"Tell me a long story please"}]})");
  EXPECT_EQ(r.status, 200);
  auto lines = lines_of(r.body);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back(), R"({"error":"an error was encountered while running the model"})");
  EXPECT_FALSE(parse(lines.front())["done"].GetBool());
}

TEST(SimOllama, MidstreamErrorWithoutStreamingIsA500WithTheErrorBody) {
  // Unstreamed, nothing is sent before the model fails: the error comes with its real status.
  Simulator sim;
  auto knobs = sim.knobs(Service::kOllama);
  knobs.midstream_error = true;
  sim.configure(Service::kOllama, knobs);
  auto r = post_json(sim.url("/api/chat"), kChat);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0u);
  EXPECT_STREQ(parse(r.body)["error"].GetString(), "an error was encountered while running the model");
}

TEST(SimOllama, TagsVersionAndLivenessAnswerAsOllamaDoes) {
  Simulator sim;
  Json tags = parse(testing::http("GET", sim.url("/api/tags")).body);
  ASSERT_TRUE(tags["models"].IsArray());
  const auto& first = tags["models"][0];
  EXPECT_STREQ(first["name"].GetString(), "llama3.2:latest");
  EXPECT_STREQ(first["model"].GetString(), "llama3.2:latest");
  for (const char* field : {"modified_at", "digest"}) EXPECT_TRUE(first[field].IsString());
  EXPECT_TRUE(first["size"].IsInt64());
  EXPECT_STREQ(first["details"]["format"].GetString(), "gguf");
  EXPECT_TRUE(first["details"]["families"].IsArray());
  EXPECT_EQ(testing::http("GET", sim.url("/api/version")).body, R"({"version":"0.5.1"})");
  EXPECT_EQ(testing::http("GET", sim.url("/")).body, "Ollama is running");
  EXPECT_EQ(testing::http("HEAD", sim.url("/")).status, 200);
}

TEST(SimOllama, AnswerStyleKnobGivesProseOrFencedJson) {
  Simulator sim;
  auto content = [&] {
    return std::string(
        parse(
            post_json(
                sim.url("/api/chat"),
                R"({"model":"llava","stream":false,"format":"json","messages":[{"role":"user","content":"What food is on the plate?"}]})")
                .body)["message"]["content"]
            .GetString());
  };
  const std::string json = content();
  auto knobs = sim.knobs(Service::kOllama);
  knobs.answer_style = "prose";
  sim.configure(Service::kOllama, knobs);
  EXPECT_EQ(content().find('{'), std::string::npos);
  knobs.answer_style = "fenced";
  sim.configure(Service::kOllama, knobs);
  const std::string fenced = content();
  EXPECT_NE(fenced.find("```json\n" + json + "\n```"), std::string::npos) << fenced;
  EXPECT_NE(fenced.rfind("Sure", 0), std::string::npos);
}

}  // namespace
}  // namespace aiw::sim
