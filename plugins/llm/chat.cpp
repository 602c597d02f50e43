#include <aiw/plugin.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/error/en.h>

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
  bool any_retryable = false;  // then the job is worth another try, whatever else failed
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
    case AIW_HTTP_CONNECT:  // refused, reset, or a body cut short
      out.kind = Kind::kRetryable;
      out.error = name + " could not be reached or broke off its answer: " + std::string(r.error);
      break;
    case AIW_HTTP_TOO_LARGE:
      // The server answered, only more than the host takes: the same request gets the same
      // answer, so retrying cannot help; a smaller answer (fewer tokens) can.
      out.kind = Kind::kPermanent;
      out.error = name + "'s answer is larger than the host accepts (" + std::string(r.error) +
                  "); limit the answer's length (num_predict, maxOutputTokens)";
      break;
    default:
      out.kind = Kind::kUnusable;
      out.error = name + " could not be asked: " + std::string(r.error);
      break;
  }
  return out;
}

milliseconds own_timeout(const aiw::JsonValue& provider) {
  const auto* t = aiw::find_member(provider, "timeout_ms");
  return milliseconds(t && t->IsInt64() ? t->GetInt64() : 60000);
}

// A Gemini without a key is skipped without a request, so it needs no time.
bool has_no_key(const aiw::JsonValue& provider) {
  return std::string_view(provider["provider"].GetString()) == "gemini" &&
         string_or(provider, "api_key", "").empty();
}

// How long provider `index` may take: its own timeout_ms, but never so much of the time the
// call has left that the providers after it lose their turn. Each of those keeps the smaller
// of its own timeout and an equal share of the time left, so "Ollama hangs, Gemini answers"
// works within the stage's timeout however large Ollama's timeout_ms is.
milliseconds provider_timeout(const aiw::JsonValue& providers, size_t index, milliseconds left) {
  std::vector<milliseconds> later;  // the timeouts of the providers still to come
  for (size_t i = index + 1; i < providers.Size(); ++i) {
    const aiw::JsonValue& p = providers[static_cast<rapidjson::SizeType>(i)];
    if (!has_no_key(p)) later.push_back(own_timeout(p));
  }
  milliseconds share = left / static_cast<int64_t>(later.size() + 1);
  milliseconds reserve{0};
  for (milliseconds t : later) reserve += std::min(t, share);
  const aiw::JsonValue& provider = providers[static_cast<rapidjson::SizeType>(index)];
  milliseconds mine = std::min(own_timeout(provider), left - reserve);
  return std::max(mine, milliseconds(1));  // 0 would mean "no timeout of its own"
}

// "data:image/png;base64,iVBOR..." or raw base64 -> raw base64.
std::string raw_base64(const aiw::JsonValue& image) {
  return std::string(without_data_url_prefix({image.GetString(), image.GetStringLength()}));
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
// skips that provider. Each provider's timeout is capped so the ones after it keep time.
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
// Output {"text", "json" (when json was asked and the text parses), "json_error" (when json
// was asked and the text does not parse: the text is still output, for parse.json to dig the
// JSON out of prose or fences), "provider", "model" (the one the answer names, else the
// configured one), "finish_reason", "prompt_tokens", "completion_tokens" (-1 when not
// reported), "latency_ms", "attempts":[{"provider","model","outcome","latency_ms","error"?}]}.
// An empty answer is a (retryable) failure, not an output.
// Errors name every provider's failure. Retryable when any provider failed retryably (an
// outage is worth another try later, even if a provider after it refused), with the largest
// Retry-After (Retry-After header, seconds or date; Gemini's google.rpc.RetryInfo.retryDelay);
// otherwise permanent (a refused request, a safety block, an answer too large).
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
      R"("json_error":{"type":"string"},)"
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
        if (image.GetStringLength() > 0) chain->prompt.images.push_back(raw_base64(image));
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
    const size_t index = chain->next++;
    const aiw::JsonValue& provider = providers[static_cast<rapidjson::SizeType>(index)];
    bool gemini = std::string_view(provider["provider"].GetString()) == "gemini";
    if (has_no_key(provider)) {
      Outcome no_key;
      no_key.kind = Kind::kUnusable;
      no_key.error = "gemini has no api_key (set GEMINI_API_KEY)";
      record(*chain, provider, Clock::now(), no_key);
      try_next(call, std::move(chain));
      return;
    }
    aiw::HttpRequest r = gemini ? gemini_request(provider, chain->prompt)
                                : ollama_request(provider, chain->prompt);
    r.timeout = provider_timeout(providers, index, call.remaining());
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
        give_up(c, *chain);  // the later providers are not asked what this one refused
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
    const size_t tried = chain.attempts.size(), listed = chain.params["providers"].Size();
    std::string message = tried == 1 ? why
                          : tried == listed
                              ? "all " + std::to_string(tried) + " LLM providers failed: " + why
                              : std::to_string(tried) + " of " + std::to_string(listed) +
                                    " LLM providers failed, the last refused the request: " + why;
    if (chain.any_retryable) call.fail_retryable(message, milliseconds(chain.retry_after_ms));
    else call.fail_permanent(message);
  }

  static aiw::Json output(const Chain& chain, const aiw::JsonValue& provider, const Outcome& o) {
    aiw::Json out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("text", aiw::JsonValue(o.text.c_str(), a), a);
    if (chain.prompt.json) {
      // Models wrap JSON in prose or fences now and then; that is parse.json's to untangle,
      // so the text is kept and the reason it is not JSON said, rather than failing here.
      aiw::Json parsed;
      if (aiw::parse_json(o.text, parsed)) {
        out.AddMember("json", aiw::JsonValue(parsed, a), a);
      } else {
        std::string why = "the answer is not JSON at offset " +
                          std::to_string(parsed.GetErrorOffset()) + ": " +
                          rapidjson::GetParseError_En(parsed.GetParseError());
        out.AddMember("json_error", aiw::JsonValue(why.c_str(), a), a);
      }
    }
    out.AddMember("provider", aiw::JsonValue(provider["provider"], a), a);
    out.AddMember("model", o.model.empty() ? aiw::JsonValue(provider["model"], a)
                                           : aiw::JsonValue(o.model.c_str(), a), a);
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
