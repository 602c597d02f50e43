#include <aiw/plugin.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "provider.h"

namespace llm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using Kind = Outcome::Kind;

struct Attempt {
  std::string provider, model, outcome, error;
  int64_t latency_ms = 0;
};

// One job's walk down the provider chain; lives in the HTTP callbacks.
struct Chain {
  aiw::Json params;  // a copy: the job's params are gone once run() returns
  Prompt prompt;
  size_t next = 0;
  std::vector<Attempt> attempts;
  bool any_retryable = false;
  int64_t retry_after_ms = -1;  // the largest a provider asked for
  Clock::time_point start = Clock::now();
};

int64_t since_ms(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

// Transport failures, before any provider-specific reading.
Outcome transport(const aiw::HttpResponse& r, const std::string& name) {
  Outcome out;
  switch (r.outcome) {
    case AIW_HTTP_TIMEOUT:
      out.kind = Kind::kRetryable;
      out.error = name + " did not answer in time: " + std::string(r.error);
      break;
    case AIW_HTTP_CONNECT:
    case AIW_HTTP_TOO_LARGE:
      out.kind = Kind::kRetryable;
      out.error = name + " is unreachable: " + std::string(r.error);
      break;
    default:
      out.kind = Kind::kUnusable;
      out.error = name + " could not be asked: " + std::string(r.error);
      break;
  }
  return out;
}

const char* outcome_name(Kind kind) {
  switch (kind) {
    case Kind::kOk: return "ok";
    case Kind::kRetryable: return "retryable";
    case Kind::kUnusable: return "unusable";
    case Kind::kPermanent: return "permanent";
  }
  return "?";
}

}  // namespace

// llm.chat: one chat completion (system + prompt + optional images) on the first provider of
// an ordered chain that answers: Ollama (/api/chat) or Gemini (generateContent). A provider
// that is down, too slow for its own timeout, overloaded or rate limited hands over to the
// next; a refusal of the request itself (400, 403, a safety block) stops the chain, since
// another provider should not be asked what one refused. An unknown model or a missing key
// skips that provider.
// Options:
//   providers    array, required, in order of preference; each:
//                {provider: ollama|gemini, model, url?, timeout_ms? (60000), api_key? (gemini),
//                 options? (ollama options), keep_alive? (ollama), stream? (ollama, false),
//                 generation_config? (gemini generationConfig: temperature, maxOutputTokens..)}
//                url defaults: http://localhost:11434, https://generativelanguage.googleapis.com
//   prompt       string, required
//   system       string, optional
//   images       array of base64 strings, optional (e.g. ${stages.fetch.output.base64})
//   format       "text" | "json", optional (text)
//   json_schema  object, optional: the answer's JSON Schema (Ollama `format`, Gemini
//                `responseSchema`, converted to its OpenAPI subset); implies json
// Output {"text", "json" (when json was asked and the text parses), "provider", "model",
// "finish_reason", "prompt_tokens", "completion_tokens" (-1 when not reported), "latency_ms",
// "attempts":[{"provider","model","outcome","latency_ms","error"?}]}.
// Errors: all providers failed and one was retryable -> retryable, with the largest
// Retry-After (429 Retry-After header; Gemini's google.rpc.RetryInfo.retryDelay); a refused
// request or safety block -> permanent with the provider's reason.
//
//   - id: describe
//     uses: llm.chat
//     needs: [fetch]
//     with:
//       providers:
//         - { provider: ollama, url: "${env.OLLAMA_URL}", model: "llava", timeout_ms: 30000 }
//         - { provider: gemini, model: gemini-2.5-flash, api_key: "${env.GEMINI_API_KEY}" }
//       system: "You label meal photos. Reply in JSON."
//       prompt: "List the foods in this photo."
//       images: ["${stages.fetch.output.base64}"]
//       json_schema:
//         type: object
//         properties: { foods: { type: array, items: { type: string } } }
//         required: [foods]
class Chat : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "llm.chat", "1.0.0",
      "Asks an LLM (Ollama or Gemini, with fallback) and outputs its answer and token counts.",
      R"({"type":"object","properties":{)"
      R"("providers":{"type":"array","minItems":1,"items":{"type":"object","properties":{)"
      R"("provider":{"enum":["ollama","gemini"]},"model":{"type":"string","minLength":1},)"
      R"("url":{"type":"string"},"timeout_ms":{"type":"integer","minimum":1},)"
      R"("api_key":{"type":"string"},"options":{"type":"object"},)"
      R"("keep_alive":{"type":["string","integer"]},"stream":{"type":"boolean"},)"
      R"("generation_config":{"type":"object"}},)"
      R"("required":["provider","model"],"additionalProperties":false}},)"
      R"("prompt":{"type":"string"},"system":{"type":"string"},)"
      R"("images":{"type":"array","items":{"type":"string"}},)"
      R"("format":{"enum":["text","json"]},"json_schema":{"type":"object"}},)"
      R"("required":["providers","prompt"],"additionalProperties":false})",
      R"({"type":"object","properties":{"text":{"type":"string"},"json":{},)"
      R"("provider":{"type":"string"},"model":{"type":"string"},)"
      R"("finish_reason":{"type":"string"},"prompt_tokens":{"type":"integer"},)"
      R"("completion_tokens":{"type":"integer"},"latency_ms":{"type":"integer"},)"
      R"("attempts":{"type":"array"}},"required":["text","provider","model","attempts"]})"};

  void run(aiw::Call call, const aiw::Json& params) override {
    auto chain = std::make_shared<Chain>();
    chain->params.CopyFrom(params, chain->params.GetAllocator());
    const aiw::Json& p = chain->params;
    chain->prompt.prompt = p["prompt"].GetString();
    chain->prompt.system = string_or(p, "system", "");
    if (const auto* images = aiw::find_member(p, "images"))
      for (const auto& image : images->GetArray())
        if (image.GetStringLength() > 0) chain->prompt.images.emplace_back(image.GetString());
    chain->prompt.schema = aiw::find_member(p, "json_schema");
    chain->prompt.json = chain->prompt.schema || string_or(p, "format", "text") == "json";
    try_next(call, std::move(chain));
  }

 private:
  static void try_next(aiw::Call call, std::shared_ptr<Chain> chain) {
    const aiw::JsonValue& providers = chain->params["providers"];
    if (chain->next >= providers.Size()) {
      give_up(call, *chain);
      return;
    }
    const aiw::JsonValue& provider = providers[static_cast<rapidjson::SizeType>(chain->next++)];
    bool gemini = std::string_view(provider["provider"].GetString()) == "gemini";
    if (gemini && string_or(provider, "api_key", "").empty()) {
      Outcome no_key;
      no_key.kind = Kind::kUnusable;
      no_key.error = "gemini has no api_key (set GEMINI_API_KEY)";
      record(*chain, provider, Clock::now(), no_key);
      try_next(call, std::move(chain));
      return;
    }
    aiw::HttpRequest r = gemini ? gemini_request(provider, chain->prompt)
                                : ollama_request(provider, chain->prompt);
    r.timeout = milliseconds(60000);
    if (const auto* t = aiw::find_member(provider, "timeout_ms")) r.timeout = milliseconds(t->GetInt64());
    auto started = Clock::now();
    call.http(r, [chain, &provider, gemini, started](aiw::Call c, const aiw::HttpResponse& resp) {
      if (resp.outcome == AIW_HTTP_CANCELLED) return;  // the host already ended the call
      std::string name = gemini ? "gemini" : "ollama";
      Outcome o = resp.outcome != AIW_HTTP_OK ? transport(resp, name)
                  : gemini                    ? gemini_read(resp)
                                              : ollama_read(provider, resp);
      record(*chain, provider, started, o);
      if (o.kind == Kind::kOk) {
        c.complete(output(*chain, provider, o));
      } else if (o.kind == Kind::kPermanent) {
        c.fail_permanent(o.error);
      } else {
        try_next(c, chain);
      }
    });
  }

  static void record(Chain& chain, const aiw::JsonValue& provider, Clock::time_point started,
                     const Outcome& o) {
    chain.attempts.push_back({provider["provider"].GetString(), provider["model"].GetString(),
                              outcome_name(o.kind), o.error, since_ms(started)});
    if (o.kind == Kind::kRetryable) {
      chain.any_retryable = true;
      chain.retry_after_ms = std::max(chain.retry_after_ms, o.retry_after_ms);
    }
  }

  static void give_up(aiw::Call call, const Chain& chain) {
    std::string why;
    for (const Attempt& a : chain.attempts) why += (why.empty() ? "" : "; ") + a.error;
    std::string message = chain.attempts.size() == 1
                              ? why
                              : "all " + std::to_string(chain.attempts.size()) +
                                    " LLM providers failed: " + why;
    if (chain.any_retryable) call.fail_retryable(message, milliseconds(chain.retry_after_ms));
    else call.fail_permanent(message);
  }

  static aiw::Json output(const Chain& chain, const aiw::JsonValue& provider, const Outcome& o) {
    aiw::Json out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("text", aiw::JsonValue(o.text.c_str(), a), a);
    aiw::Json parsed;
    if (chain.prompt.json && aiw::parse_json(o.text, parsed))
      out.AddMember("json", aiw::JsonValue(parsed, a), a);
    out.AddMember("provider", aiw::JsonValue(provider["provider"], a), a);
    out.AddMember("model", aiw::JsonValue(provider["model"], a), a);
    out.AddMember("finish_reason", aiw::JsonValue(o.finish_reason.c_str(), a), a);
    out.AddMember("prompt_tokens", o.prompt_tokens, a);
    out.AddMember("completion_tokens", o.completion_tokens, a);
    out.AddMember("latency_ms", since_ms(chain.start), a);
    aiw::JsonValue attempts(rapidjson::kArrayType);
    for (const Attempt& at : chain.attempts) {
      aiw::JsonValue item(rapidjson::kObjectType);
      item.AddMember("provider", aiw::JsonValue(at.provider.c_str(), a), a);
      item.AddMember("model", aiw::JsonValue(at.model.c_str(), a), a);
      item.AddMember("outcome", aiw::JsonValue(at.outcome.c_str(), a), a);
      item.AddMember("latency_ms", at.latency_ms, a);
      if (!at.error.empty()) item.AddMember("error", aiw::JsonValue(at.error.c_str(), a), a);
      attempts.PushBack(item, a);
    }
    out.AddMember("attempts", attempts, a);
    return out;
  }
};
AIW_REGISTER_STAGE(Chat);

}  // namespace llm
