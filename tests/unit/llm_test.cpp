// llm.chat against local servers playing Ollama (protocols.md 1) and Gemini (2): request
// shapes, answers, streaming, and the fallback chain's error kinds and Retry-After.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>
#include <functional>

#include "ai_plugin_test_support.h"
#include "fakes/http_server.h"
#include "fakes/sim/simulator.h"

namespace aiw::testing {
namespace {

using ::testing::HasSubstr;
using Status = engine::JobResult::Status;

const char* kGeminiPath = "/v1beta/models/gemini-2.5-flash:generateContent";

std::string ollama_at(const std::string& url, const std::string& extra = "") {
  return "{provider: ollama, url: " + json_quoted(url) + ", model: llava" + extra + "}";
}
std::string gemini_at(const std::string& url, const std::string& extra = "") {
  return "{provider: gemini, url: " + json_quoted(url) + ", model: gemini-2.5-flash, api_key: test-key" +
         extra + "}";
}
std::string ollama(const fakes::HttpServer& s, const std::string& extra = "") { return ollama_at(s.url(), extra); }
std::string gemini(const fakes::HttpServer& s, const std::string& extra = "") { return gemini_at(s.url(), extra); }
std::string ollama(const sim::Simulator& s, const std::string& extra = "") { return ollama_at(s.url(), extra); }
std::string gemini(const sim::Simulator& s, const std::string& extra = "") { return gemini_at(s.url(), extra); }

void set_knobs(sim::Simulator& s, sim::Service service, const std::function<void(sim::Knobs&)>& change) {
  sim::Knobs knobs = s.knobs(service);
  change(knobs);
  s.configure(service, knobs);
}
std::string chat(const std::string& providers, const std::string& extra = "") {
  return "{providers: [" + providers + R"(], prompt: "What is in this image?")" + extra + "}";
}

void reply(fakes::HttpServer& s, const std::string& method, const std::string& path, int status,
           const std::string& body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  s.route(method, path, [=](const fakes::Request&, fakes::Response& res) {
    res.status = status;
    res.body = body;
    res.headers = headers;
    res.headers.emplace_back("Content-Type", "application/json");
  });
}

const char* kOllamaAnswer =
    R"({"model":"llava","created_at":"2024-12-06T00:46:58.265747Z",
        "message":{"role":"assistant","content":"{\"label\":\"pig\",\"count\":1}"},
        "done_reason":"stop","done":true,"total_duration":2254970291,"load_duration":574751416,
        "prompt_eval_count":34,"prompt_eval_duration":1502000000,"eval_count":12,"eval_duration":175000000})";

const char* kGeminiAnswer =
    R"({"candidates":[{"content":{"parts":[{"text":"{\"label\":\"dog\",\"count\":2}"}],"role":"model"},
        "finishReason":"STOP","index":0,"avgLogprobs":-0.061}],
        "usageMetadata":{"promptTokenCount":268,"candidatesTokenCount":12,"totalTokenCount":280},
        "modelVersion":"gemini-2.5-flash","responseId":"Y8tsaInkFYLsx_APseqW6QY"})";

TEST(LlmChat, OllamaRequestCarriesMessagesImagesSchemaOptionsAndNoStreaming) {
  fakes::HttpServer server;
  std::string body;
  server.route("POST", "/api/chat", [&](const fakes::Request& req, fakes::Response& res) {
    body = req.body;
    res.body = kOllamaAnswer;
  });
  auto r = run_stage("llm.chat", chat(ollama(server, ", options: {temperature: 0, num_ctx: 4096}, keep_alive: 5m"),
                                      R"(, system: "Answer in JSON.", images: ["iVBORw0KGgo"],)"
                                      R"( json_schema: {type: object, properties: {label: {type: string}}, required: [label]})"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json sent = parse_body(body);
  EXPECT_STREQ(sent["model"].GetString(), "llava");
  EXPECT_FALSE(sent["stream"].GetBool());
  EXPECT_STREQ(sent["keep_alive"].GetString(), "5m");
  EXPECT_EQ(sent["options"]["num_ctx"].GetInt(), 4096);
  EXPECT_STREQ(sent["format"]["type"].GetString(), "object");
  EXPECT_STREQ(sent["format"]["properties"]["label"]["type"].GetString(), "string");
  ASSERT_EQ(sent["messages"].Size(), 2u);
  EXPECT_STREQ(sent["messages"][0]["role"].GetString(), "system");
  EXPECT_STREQ(sent["messages"][0]["content"].GetString(), "Answer in JSON.");
  EXPECT_STREQ(sent["messages"][1]["role"].GetString(), "user");
  EXPECT_STREQ(sent["messages"][1]["content"].GetString(), "What is in this image?");
  EXPECT_STREQ(sent["messages"][1]["images"][0].GetString(), "iVBORw0KGgo");

  Json out = parse_output(r);
  EXPECT_STREQ(out["text"].GetString(), R"({"label":"pig","count":1})");
  EXPECT_STREQ(out["json"]["label"].GetString(), "pig");
  EXPECT_STREQ(out["provider"].GetString(), "ollama");
  EXPECT_STREQ(out["model"].GetString(), "llava");
  EXPECT_EQ(out["prompt_tokens"].GetInt(), 34);
  EXPECT_EQ(out["completion_tokens"].GetInt(), 12);
  EXPECT_TRUE(out["latency_ms"].IsInt64());
  ASSERT_EQ(out["attempts"].Size(), 1u);
  EXPECT_STREQ(out["attempts"][0]["outcome"].GetString(), "ok");
}

TEST(LlmChat, OllamaFormatJsonIsTheStringJsonWithoutSchema) {
  fakes::HttpServer server;
  std::string body;
  server.route("POST", "/api/chat", [&](const fakes::Request& req, fakes::Response& res) {
    body = req.body;
    res.body = kOllamaAnswer;
  });
  auto r = run_stage("llm.chat", "{providers: [{provider: ollama, model: llava, url: " +
                                     json_quoted(server.url("/")) + R"(}], prompt: "hi", format: json})");
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json sent = parse_body(body);
  EXPECT_STREQ(sent["format"].GetString(), "json");
  EXPECT_FALSE(sent["messages"][0].HasMember("images"));  // no system message, no images
}

TEST(LlmChat, OllamaStreamedNdjsonIsJoinedAndMidStreamErrorIsRetryable) {
  fakes::HttpServer server;
  server.route("POST", "/api/chat", [](const fakes::Request& req, fakes::Response& res) {
    EXPECT_THAT(req.body, HasSubstr(R"("stream":true)"));
    res.chunked = true;
    res.headers.emplace_back("Content-Type", "application/x-ndjson");
    res.body =
        R"({"model":"llama3.2","created_at":"2025-10-26T17:21:21.196249Z","message":{"role":"assistant","content":"The"},"done":false})" "\n"
        R"({"model":"llama3.2","created_at":"2025-10-26T17:21:21.207235Z","message":{"role":"assistant","content":" sky"},"done":false})" "\n"
        R"({"model":"llama3.2","created_at":"x","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":282})" "\n";
  });
  server.route("POST", "/broken/api/chat", [](const fakes::Request&, fakes::Response& res) {
    res.headers.emplace_back("Content-Type", "application/x-ndjson");
    res.body =
        R"({"model":"llama3.2","created_at":"x","message":{"role":"assistant","content":"The"},"done":false})" "\n"
        R"({"error":"an error was encountered while running the model"})" "\n";
  });
  auto r = run_stage("llm.chat", chat(ollama(server, ", stream: true")));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json out = parse_output(r);
  EXPECT_STREQ(out["text"].GetString(), "The sky");
  EXPECT_EQ(out["completion_tokens"].GetInt(), 282);
  EXPECT_STREQ(out["finish_reason"].GetString(), "stop");

  auto broken = run_stage("llm.chat", "{providers: [{provider: ollama, model: llava, stream: true, url: " +
                                          json_quoted(server.url("/broken")) + R"(}], prompt: "hi"})");
  EXPECT_EQ(broken.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(broken.error, HasSubstr("an error was encountered while running the model"));
}

TEST(LlmChat, GeminiRequestShapeAndKeyInHeaderNotUrl) {
  fakes::HttpServer server;
  fakes::Request seen;
  server.route("POST", kGeminiPath, [&](const fakes::Request& req, fakes::Response& res) {
    seen = req;
    res.body = kGeminiAnswer;
  });
  auto r = run_stage("llm.chat", chat(gemini(server, ", generation_config: {temperature: 0.2, maxOutputTokens: 512}"),
                                      R"(, system: "You label photos.", images: ["iVBORw0KGgo", "/9j/4AAQ"],)"
                                      R"( json_schema: {type: object, additionalProperties: false,)"
                                      R"( properties: {label: {type: string}, count: {type: [integer, "null"]}}, required: [label]})"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(seen.header("x-goog-api-key"), "test-key");
  EXPECT_EQ(seen.target, kGeminiPath);  // no ?key= in the URL
  Json sent = parse_body(seen.body);
  EXPECT_STREQ(sent["systemInstruction"]["parts"][0]["text"].GetString(), "You label photos.");
  const auto& parts = sent["contents"][0]["parts"];
  EXPECT_STREQ(sent["contents"][0]["role"].GetString(), "user");
  EXPECT_STREQ(parts[0]["text"].GetString(), "What is in this image?");
  EXPECT_STREQ(parts[1]["inlineData"]["mimeType"].GetString(), "image/png");
  EXPECT_STREQ(parts[1]["inlineData"]["data"].GetString(), "iVBORw0KGgo");
  EXPECT_STREQ(parts[2]["inlineData"]["mimeType"].GetString(), "image/jpeg");
  const auto& config = sent["generationConfig"];
  EXPECT_DOUBLE_EQ(config["temperature"].GetDouble(), 0.2);
  EXPECT_STREQ(config["responseMimeType"].GetString(), "application/json");
  EXPECT_STREQ(config["responseSchema"]["type"].GetString(), "OBJECT");
  EXPECT_STREQ(config["responseSchema"]["properties"]["label"]["type"].GetString(), "STRING");
  EXPECT_STREQ(config["responseSchema"]["properties"]["count"]["type"].GetString(), "INTEGER");
  EXPECT_TRUE(config["responseSchema"]["properties"]["count"]["nullable"].GetBool());
  EXPECT_FALSE(config["responseSchema"].HasMember("additionalProperties"));

  Json out = parse_output(r);
  EXPECT_STREQ(out["json"]["label"].GetString(), "dog");
  EXPECT_STREQ(out["provider"].GetString(), "gemini");
  EXPECT_EQ(out["prompt_tokens"].GetInt(), 268);
  EXPECT_EQ(out["completion_tokens"].GetInt(), 12);
}

// responseSchema's OpenAPI subset keeps one type per field; a field that may be a number or
// text (medical_exam's `value`: 5.2 or "Negativo") goes as responseJsonSchema, unchanged.
TEST(LlmChat, GeminiGetsAJsonSchemaWhenAFieldMayHaveTwoTypes) {
  fakes::HttpServer server;
  fakes::Request seen;
  server.route("POST", kGeminiPath, [&](const fakes::Request& req, fakes::Response& res) {
    seen = req;
    res.body = kGeminiAnswer;
  });
  auto r = run_stage("llm.chat", chat(gemini(server, ""),
                                      R"(, json_schema: {type: object, properties: {values: {type: array,)"
                                      R"( items: {type: object, properties: {value: {type: [number, string]}}}}}})"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json sent = parse_body(seen.body);  // lives while config points into it
  const auto& config = sent["generationConfig"];
  EXPECT_FALSE(config.HasMember("responseSchema")) << seen.body;
  ASSERT_TRUE(config.HasMember("responseJsonSchema")) << seen.body;
  const auto& value_type = config["responseJsonSchema"]["properties"]["values"]["items"]["properties"]["value"]["type"];
  ASSERT_TRUE(value_type.IsArray()) << seen.body;
  EXPECT_STREQ(value_type[1].GetString(), "string");
}

TEST(LlmChat, OllamaDownFallsBackToGemini) {
  auto down = std::make_unique<fakes::HttpServer>();
  std::string dead_url = down->url();
  down->stop();  // nothing listens there now: connection refused
  fakes::HttpServer google;
  reply(google, "POST", kGeminiPath, 200, kGeminiAnswer);
  auto r = run_stage("llm.chat", "{providers: [{provider: ollama, model: llava, url: " + json_quoted(dead_url) +
                                     "}, " + gemini(google) + R"(], prompt: "hi"})");
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json out = parse_output(r);
  EXPECT_STREQ(out["provider"].GetString(), "gemini");
  ASSERT_EQ(out["attempts"].Size(), 2u);
  EXPECT_STREQ(out["attempts"][0]["provider"].GetString(), "ollama");
  EXPECT_STREQ(out["attempts"][0]["outcome"].GetString(), "retryable");
  EXPECT_STREQ(out["attempts"][1]["outcome"].GetString(), "ok");
}

TEST(LlmChat, OllamaPastItsOwnTimeoutFallsBackToGemini) {
  fakes::HttpServer local, google;
  local.route("POST", "/api/chat", [](const fakes::Request&, fakes::Response& res) { res.hang = true; });
  reply(google, "POST", kGeminiPath, 200, kGeminiAnswer);
  auto r = run_stage("llm.chat", chat(ollama(local, ", timeout_ms: 100") + ", " + gemini(google)));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_STREQ(parse_output(r)["provider"].GetString(), "gemini");
}

TEST(LlmChat, GeminiRateLimitIsRetryableWithRetryInfoDelay) {
  fakes::HttpServer google;
  reply(google, "POST", kGeminiPath, 429,
        R"({"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[
          {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},
          {"@type":"type.googleapis.com/google.rpc.Help","links":[]},
          {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"15s"}]}})");
  auto r = run_stage("llm.chat", chat(gemini(google)));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_EQ(r.retry_after_ms, 15000);
  EXPECT_THAT(r.error, HasSubstr("RESOURCE_EXHAUSTED"));
}

TEST(LlmChat, AllProvidersRateLimitedRetryAfterIsTheLargest) {
  fakes::HttpServer local, google;
  reply(local, "POST", "/api/chat", 429, R"({"error":"rate limited"})", {{"Retry-After", "30"}});
  reply(google, "POST", kGeminiPath, 429,
        R"({"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[)"
        R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}})");
  auto r = run_stage("llm.chat", chat(ollama(local) + ", " + gemini(google)));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_EQ(r.retry_after_ms, 30000);
  EXPECT_THAT(r.error, HasSubstr("all 2 LLM providers failed"));
}

const char* kGeminiKeyInvalid =
    R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",)"
    R"("details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}})";

TEST(LlmChat, GeminiBadRequestIsPermanentAndStopsTheChain) {
  fakes::HttpServer local, google;
  reply(google, "POST", kGeminiPath, 400, kGeminiKeyInvalid);
  reply(local, "POST", "/api/chat", 200, kOllamaAnswer);
  auto alone = run_stage("llm.chat", chat(gemini(google)));
  EXPECT_EQ(alone.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(alone.error, HasSubstr("API key not valid"));
  // First in the chain, nothing retryable before it: permanent, and Ollama is not asked.
  auto r = run_stage("llm.chat", chat(gemini(google) + ", " + ollama(local)));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("API key not valid"));
  EXPECT_EQ(local.requests_received(), 0u);
}

TEST(LlmChat, OllamaOutageThenGeminiRefusalIsRetryableAndNamesBoth) {
  sim::Simulator sim;
  set_knobs(sim, sim::Service::kOllama, [](sim::Knobs& k) { k.fail_status = 503; });
  set_knobs(sim, sim::Service::kGemini, [](sim::Knobs& k) { k.fail_status = 403; });
  auto r = run_stage("llm.chat", chat(ollama(sim) + ", " + gemini(sim)));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);  // Ollama may be back later
  EXPECT_THAT(r.error, HasSubstr("ollama answered HTTP 503"));
  EXPECT_THAT(r.error, HasSubstr("gemini answered HTTP 403 PERMISSION_DENIED"));
}

TEST(LlmChat, GeminiSafetyBlockIsPermanentWithItsReason) {
  fakes::HttpServer google;
  reply(google, "POST", kGeminiPath, 200,
        R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},)"
        R"("usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash"})");
  auto r = run_stage("llm.chat", chat(gemini(google)));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("gemini blocked the prompt (blockReason SAFETY)"));
}

TEST(LlmChat, UnknownOllamaModelSkipsToTheNextProvider) {
  fakes::HttpServer local, google;
  reply(local, "POST", "/api/chat", 404, R"({"error":"model 'llava' not found"})");
  reply(google, "POST", kGeminiPath, 200, kGeminiAnswer);
  auto r = run_stage("llm.chat", chat(ollama(local) + ", " + gemini(google)));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  auto alone = run_stage("llm.chat", chat(ollama(local)));
  EXPECT_EQ(alone.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(alone.error, HasSubstr("model 'llava' not found"));
}

// --- What each kind of failure comes to (protocols.md 1.5, 2.5), against the simulator ---

TEST(LlmChat, GeminiSafetyStopWithoutContentIsPermanentNamingTheReason) {
  sim::Simulator sim;
  set_knobs(sim, sim::Service::kGemini, [](sim::Knobs& k) { k.safety = "candidate"; });
  auto r = run_stage("llm.chat", chat(gemini(sim)));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("finishReason SAFETY"));
}

TEST(LlmChat, ServerErrorsAreRetryableForBothProviders) {
  for (int status : {500, 503}) {
    sim::Simulator sim;
    for (auto service : {sim::Service::kOllama, sim::Service::kGemini})
      set_knobs(sim, service, [&](sim::Knobs& k) { k.fail_status = status; });
    auto local = run_stage("llm.chat", chat(ollama(sim)));
    EXPECT_EQ(local.error_kind, engine::ErrorKind::kRetryable) << status << ": " << local.error;
    EXPECT_THAT(local.error, HasSubstr("ollama answered HTTP " + std::to_string(status)));
    auto google = run_stage("llm.chat", chat(gemini(sim)));
    EXPECT_EQ(google.error_kind, engine::ErrorKind::kRetryable) << status << ": " << google.error;
    EXPECT_THAT(google.error, HasSubstr("gemini answered HTTP " + std::to_string(status)));
  }
}

TEST(LlmChat, GeminiForbiddenIsPermanent) {
  sim::Simulator sim;
  set_knobs(sim, sim::Service::kGemini, [](sim::Knobs& k) { k.fail_status = 403; });
  auto r = run_stage("llm.chat", chat(gemini(sim)));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("PERMISSION_DENIED"));
}

TEST(LlmChat, OllamaBadRequestIsPermanent) {
  sim::Simulator sim;
  set_knobs(sim, sim::Service::kOllama, [](sim::Knobs& k) { k.fail_status = 400; });
  auto r = run_stage("llm.chat", chat(ollama(sim)));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("ollama answered HTTP 400"));
}

TEST(LlmChat, UnknownGeminiModelSkipsToTheNextProvider) {
  sim::Simulator sim;
  auto r = run_stage("llm.chat", "{providers: [{provider: gemini, model: no-such-model, api_key: k, url: " +
                                     json_quoted(sim.url()) + "}, " + ollama(sim) + R"(], prompt: "hi"})");
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json out = parse_output(r);
  EXPECT_STREQ(out["provider"].GetString(), "ollama");
  EXPECT_STREQ(out["attempts"][0]["outcome"].GetString(), "unusable");
  EXPECT_THAT(out["attempts"][0]["error"].GetString(), HasSubstr("HTTP 404 NOT_FOUND"));
}

TEST(LlmChat, GeminiWithoutApiKeyIsSkippedWithoutARequest) {
  sim::Simulator sim;
  auto r = run_stage("llm.chat", "{providers: [{provider: gemini, model: gemini-2.5-flash, url: " +
                                     json_quoted(sim.url()) + "}, " + ollama(sim) + R"(], prompt: "hi"})");
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json out = parse_output(r);
  EXPECT_STREQ(out["provider"].GetString(), "ollama");
  EXPECT_STREQ(out["attempts"][0]["outcome"].GetString(), "unusable");
  EXPECT_THAT(out["attempts"][0]["error"].GetString(), HasSubstr("api_key"));
  EXPECT_EQ(sim.stats(sim::Service::kGemini).requests, 0u);
}

TEST(LlmChat, MalformedAnswerIsRetryableForBothProviders) {
  sim::Simulator sim;
  for (auto service : {sim::Service::kOllama, sim::Service::kGemini})
    set_knobs(sim, service, [](sim::Knobs& k) { k.malformed = true; });
  for (const std::string& provider : {ollama(sim), gemini(sim)}) {
    auto r = run_stage("llm.chat", chat(provider));
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable) << provider << ": " << r.error;
    EXPECT_THAT(r.error, HasSubstr("not JSON"));
  }
}

TEST(LlmChat, TruncatedAnswerIsRetryableForBothProviders) {
  sim::Simulator sim;
  for (auto service : {sim::Service::kOllama, sim::Service::kGemini})
    set_knobs(sim, service, [](sim::Knobs& k) { k.truncate = true; });
  for (const std::string& provider : {ollama(sim), gemini(sim), ollama(sim, ", stream: true")}) {
    auto r = run_stage("llm.chat", chat(provider));
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable) << provider << ": " << r.error;
    EXPECT_THAT(r.error, HasSubstr("broke off its answer"));
  }
}

TEST(LlmChat, OllamaStreamCutBeforeDoneIsRetryable) {
  fakes::HttpServer server;
  server.route("POST", "/api/chat", [](const fakes::Request&, fakes::Response& res) {
    res.headers.emplace_back("Content-Type", "application/x-ndjson");
    res.body =
        R"({"model":"llava","created_at":"x","message":{"role":"assistant","content":"The"},"done":false})" "\n"
        R"({"model":"llava","created_at":"x","message":{"role":"assistant","content":" sky"},"done":false})" "\n";
  });
  auto r = run_stage("llm.chat", chat(ollama(server, ", stream: true")));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("ended before it said done"));
}

TEST(LlmChat, OllamaStreamOfOneLineWithoutDoneIsRetryable) {
  // One line parses as one object, like an unstreamed answer: it must still say done.
  fakes::HttpServer server;
  reply(server, "POST", "/api/chat", 200,
        R"({"model":"llava","created_at":"x","message":{"role":"assistant","content":"The"},"done":false})" "\n");
  auto r = run_stage("llm.chat", chat(ollama(server, ", stream: true")));
  ASSERT_EQ(r.status, Status::kFailed) << r.result_json;
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("ended before it said done"));
}

TEST(LlmChat, GeminiThoughtPartsAreLeftOut) {
  fakes::HttpServer google;
  reply(google, "POST", kGeminiPath, 200,
        R"({"candidates":[{"content":{"role":"model","parts":[)"
        R"({"text":"Let me look at the plate first.","thought":true},{"text":"rice"},{"text":" and beans"}]},)"
        R"("finishReason":"STOP"}],"modelVersion":"gemini-2.5-flash"})");
  auto r = run_stage("llm.chat", chat(gemini(google)));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_STREQ(parse_output(r)["text"].GetString(), "rice and beans");
}

TEST(LlmChat, TimeoutWithoutFallbackIsRetryable) {
  sim::Simulator sim;
  set_knobs(sim, sim::Service::kOllama, [](sim::Knobs& k) { k.hang = true; });
  auto r = run_stage("llm.chat", chat(ollama(sim, ", timeout_ms: 200")));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("ollama did not answer in time"));
}

TEST(LlmChat, GeminiFractionalRetryDelayIsHonoured) {
  sim::Simulator sim;  // alone, so 1.5 s is the only delay on offer
  set_knobs(sim, sim::Service::kGemini, [](sim::Knobs& k) {
    k.fail_status = 429;
    k.retry_after_s = 1.5;
  });
  auto r = run_stage("llm.chat", chat(gemini(sim)));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_EQ(r.retry_after_ms, 1500);
}

// --- The chain's time, empty and non-JSON answers, sizes ---

TEST(LlmChat, SlowOllamaLeavesGeminiTimeWithinTheStageTimeout) {
  fakes::HttpServer local, google;
  local.route("POST", "/api/chat", [](const fakes::Request&, fakes::Response& res) { res.hang = true; });
  reply(google, "POST", kGeminiPath, 200, kGeminiAnswer);
  // Ollama's own timeout (60 s by default) is far beyond the stage's.
  auto r = run_stage("llm.chat", chat(ollama(local) + ", " + gemini(google)), "3s");
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json out = parse_output(r);
  EXPECT_STREQ(out["provider"].GetString(), "gemini");
  EXPECT_THAT(out["attempts"][0]["error"].GetString(), HasSubstr("ollama did not answer in time"));
}

TEST(LlmChat, EmptyAnswerIsRetryableNamingTheReason) {
  fakes::HttpServer local, google;
  reply(local, "POST", "/api/chat", 200,
        R"({"model":"llava","created_at":"x","message":{"role":"assistant","content":""},"done":true,"done_reason":"length"})");
  reply(google, "POST", kGeminiPath, 200,
        R"({"candidates":[{"content":{"role":"model","parts":[{"text":"thinking...","thought":true}]},)"
        R"("finishReason":"MAX_TOKENS"}],"modelVersion":"gemini-2.5-flash"})");
  auto r = run_stage("llm.chat", chat(ollama(local) + ", " + gemini(google)));
  ASSERT_EQ(r.status, Status::kFailed) << r.result_json;
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("ollama gave an empty answer (done_reason length)"));
  EXPECT_THAT(r.error, HasSubstr("gemini gave an empty answer (finishReason MAX_TOKENS)"));
}

TEST(LlmChat, GeminiWithoutCandidatesOrBlockReasonIsARetryableEmptyAnswer) {
  fakes::HttpServer google;
  reply(google, "POST", kGeminiPath, 200,
        R"({"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash"})");
  auto r = run_stage("llm.chat", chat(gemini(google)));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("gemini gave an empty answer"));
  EXPECT_THAT(r.error, ::testing::Not(HasSubstr("blocked")));
}

TEST(LlmChat, JsonAskedButProseAnsweredKeepsTheTextAndSaysWhyItIsNotJson) {
  fakes::HttpServer local;
  reply(local, "POST", "/api/chat", 200,
        R"({"model":"llava","message":{"role":"assistant","content":"Sure! {\"label\":\"pig\"}"},"done":true,"done_reason":"stop"})");
  auto r = run_stage("llm.chat", chat(ollama(local), ", format: json"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;  // parse.json digs the object out later
  Json out = parse_output(r);
  EXPECT_STREQ(out["text"].GetString(), R"(Sure! {"label":"pig"})");
  EXPECT_FALSE(out.HasMember("json"));
  ASSERT_TRUE(out.HasMember("json_error"));
  EXPECT_THAT(out["json_error"].GetString(), HasSubstr("the answer is not JSON"));
}

TEST(LlmChat, AnswerLargerThanTheHostAcceptsIsPermanent) {
  fakes::HttpServer local;
  reply(local, "POST", "/api/chat", 200, std::string((16u << 20) + 1, ' '));  // the host takes 16 MiB
  auto r = run_stage("llm.chat", chat(ollama(local)));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("larger than the host accepts"));
  EXPECT_THAT(r.error, ::testing::Not(HasSubstr("unreachable")));
}

// --- Small things: the model named, data: URLs, Retry-After dates ---

TEST(LlmChat, OutputModelIsTheOneTheAnswerReports) {
  fakes::HttpServer local, google, silent;
  reply(local, "POST", "/api/chat", 200,
        R"({"model":"llava:13b","message":{"role":"assistant","content":"a pig"},"done":true})");
  reply(google, "POST", kGeminiPath, 200,
        R"({"candidates":[{"content":{"parts":[{"text":"a dog"}]},"finishReason":"STOP"}],"modelVersion":"gemini-2.5-flash-001"})");
  reply(silent, "POST", "/api/chat", 200, R"({"message":{"role":"assistant","content":"a cat"},"done":true})");
  EXPECT_STREQ(parse_output(run_stage("llm.chat", chat(ollama(local))))["model"].GetString(), "llava:13b");
  EXPECT_STREQ(parse_output(run_stage("llm.chat", chat(gemini(google))))["model"].GetString(),
               "gemini-2.5-flash-001");
  EXPECT_STREQ(parse_output(run_stage("llm.chat", chat(ollama(silent))))["model"].GetString(), "llava");
}

TEST(LlmChat, DataUrlImagesAreSentAsRawBase64) {
  fakes::HttpServer local, google;
  std::string to_ollama, to_gemini;
  local.route("POST", "/api/chat", [&](const fakes::Request& req, fakes::Response& res) {
    to_ollama = req.body;
    res.body = kOllamaAnswer;
  });
  google.route("POST", kGeminiPath, [&](const fakes::Request& req, fakes::Response& res) {
    to_gemini = req.body;
    res.body = kGeminiAnswer;
  });
  const std::string images = R"(, images: ["data:image/png;base64,iVBORw0KGgo"])";
  ASSERT_EQ(run_stage("llm.chat", chat(ollama(local), images)).status, Status::kCompleted);
  ASSERT_EQ(run_stage("llm.chat", chat(gemini(google), images)).status, Status::kCompleted);
  EXPECT_STREQ(parse_body(to_ollama)["messages"][0]["images"][0].GetString(), "iVBORw0KGgo");
  Json sent = parse_body(to_gemini);  // lives while blob points into it
  const auto& blob = sent["contents"][0]["parts"][1]["inlineData"];
  EXPECT_STREQ(blob["data"].GetString(), "iVBORw0KGgo");
  EXPECT_STREQ(blob["mimeType"].GetString(), "image/png");
}

TEST(LlmChat, RetryAfterGivenAsAnHttpDateIsHonoured) {
  const std::string date = http_date_in(120);
  fakes::HttpServer local;
  reply(local, "POST", "/api/chat", 429, R"({"error":"rate limited"})", {{"Retry-After", date}});
  auto r = run_stage("llm.chat", chat(ollama(local)));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_GE(r.retry_after_ms, 60000) << date;  // however slow the test, well past a minute
  EXPECT_LE(r.retry_after_ms, 121000) << date;
}

}  // namespace
}  // namespace aiw::testing
