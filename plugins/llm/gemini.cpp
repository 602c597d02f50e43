// Gemini's REST API (protocols.md 2): POST {url}/v1beta/models/{model}:generateContent.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "provider.h"
#include "common/retry_after.h"

namespace llm {
namespace {

using Kind = Outcome::Kind;

Outcome failure(Kind kind, std::string error, int64_t retry_after_ms = -1) {
  Outcome out;
  out.kind = kind;
  out.error = std::move(error);
  out.retry_after_ms = retry_after_ms;
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// responseSchema takes an OpenAPI 3.0 subset, not JSON Schema: types are upper-case enum
// names, ["string","null"] becomes nullable, and unknown keywords (additionalProperties,
// $schema) are refused by the API, so they are dropped here.
aiw::JsonValue to_openapi(const aiw::JsonValue& schema, aiw::Json::AllocatorType& a) {
  aiw::JsonValue out(rapidjson::kObjectType);
  if (!schema.IsObject()) return out;
  for (const auto& m : schema.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key == "type" && m.value.IsString()) {
      out.AddMember("type", aiw::JsonValue(upper(m.value.GetString()).c_str(), a), a);
    } else if (key == "type" && m.value.IsArray()) {
      for (const auto& t : m.value.GetArray()) {
        if (t.IsString() && std::string_view(t.GetString()) == "null") {
          out.AddMember("nullable", true, a);
        } else if (t.IsString() && !out.HasMember("type")) {
          out.AddMember("type", aiw::JsonValue(upper(t.GetString()).c_str(), a), a);
        }
      }
    } else if (key == "properties" && m.value.IsObject()) {
      aiw::JsonValue props(rapidjson::kObjectType);
      for (const auto& p : m.value.GetObject())
        props.AddMember(aiw::JsonValue(p.name, a), to_openapi(p.value, a), a);
      out.AddMember("properties", props, a);
    } else if (key == "items") {
      out.AddMember("items", to_openapi(m.value, a), a);
    } else if (key == "required" || key == "enum" || key == "nullable" || key == "format" ||
               key == "description" || key == "minItems" || key == "maxItems") {
      out.AddMember(aiw::JsonValue(m.name, a), aiw::JsonValue(m.value, a), a);
    }
  }
  return out;
}

// True when the schema allows a value of two or more types (`type: [number, string]`, nulls
// aside) somewhere: the OpenAPI subset of responseSchema keeps one type, so it would force
// every answer into the first; responseJsonSchema takes the JSON Schema as it is.
bool needs_json_schema(const aiw::JsonValue& schema) {
  if (!schema.IsObject()) return false;
  if (const auto* type = aiw::find_member(schema, "type"); type && type->IsArray()) {
    int non_null = 0;
    for (const auto& t : type->GetArray())
      if (!(t.IsString() && std::string_view(t.GetString()) == "null")) ++non_null;
    if (non_null > 1) return true;
  }
  if (const auto* props = aiw::find_member(schema, "properties"); props && props->IsObject())
    for (const auto& p : props->GetObject())
      if (needs_json_schema(p.value)) return true;
  if (const auto* items = aiw::find_member(schema, "items"); items && needs_json_schema(*items))
    return true;
  return false;
}

aiw::JsonValue text_part(const std::string& text, aiw::Json::AllocatorType& a) {
  aiw::JsonValue part(rapidjson::kObjectType);
  part.AddMember("text", aiw::JsonValue(text.c_str(), a), a);
  return part;
}

// "15s", "1.5s": a protobuf Duration in JSON; -1 when it is not one.
int64_t duration_ms(std::string_view text) {
  if (text.empty() || text.back() != 's') return -1;
  std::string number(text.substr(0, text.size() - 1));
  char* end = nullptr;
  double seconds = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || seconds < 0) return -1;
  return static_cast<int64_t>(std::ceil(seconds * 1000));
}

int64_t retry_delay_ms(const aiw::JsonValue& error) {
  const auto* details = aiw::find_member(error, "details");
  if (!details || !details->IsArray()) return -1;
  for (const auto& d : details->GetArray()) {
    const auto* type = aiw::find_member(d, "@type");
    const auto* delay = aiw::find_member(d, "retryDelay");
    if (type && type->IsString() && std::string_view(type->GetString()).ends_with("google.rpc.RetryInfo") &&
        delay && delay->IsString())
      return duration_ms(delay->GetString());
  }
  return -1;
}

Outcome read_error(const aiw::HttpResponse& r) {
  aiw::Json doc;
  const aiw::JsonValue* error = nullptr;
  if (aiw::parse_json(r.body, doc)) error = aiw::find_member(doc, "error");
  std::string status, message = std::string(r.body.substr(0, 200));
  int64_t retry_after = aiw::plugin_common::retry_after(r.header("retry-after")).count();
  if (error && error->IsObject()) {
    if (const auto* s = aiw::find_member(*error, "status"); s && s->IsString()) status = s->GetString();
    if (const auto* m = aiw::find_member(*error, "message"); m && m->IsString()) message = m->GetString();
    if (int64_t delay = retry_delay_ms(*error); delay >= 0) retry_after = delay;
  }
  std::string what = "gemini answered HTTP " + std::to_string(r.status) +
                     (status.empty() ? "" : " " + status) + ": " + message;
  if (r.status == 429 || r.status >= 500 || r.status == 408)
    return failure(Kind::kRetryable, what, retry_after);
  if (r.status == 404) return failure(Kind::kUnusable, what);
  return failure(Kind::kPermanent, what);
}

bool is_safety_stop(std::string_view reason) {
  for (std::string_view s : {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                             "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "LANGUAGE"})
    if (reason == s) return true;
  return false;
}

}  // namespace

aiw::HttpRequest gemini_request(const aiw::JsonValue& provider, const Prompt& prompt) {
  aiw::Json body(rapidjson::kObjectType);
  auto& a = body.GetAllocator();
  if (!prompt.system.empty()) {
    aiw::JsonValue parts(rapidjson::kArrayType);
    parts.PushBack(text_part(prompt.system, a), a);
    aiw::JsonValue system(rapidjson::kObjectType);
    system.AddMember("parts", parts, a);
    body.AddMember("systemInstruction", system, a);
  }
  aiw::JsonValue parts(rapidjson::kArrayType);
  parts.PushBack(text_part(prompt.prompt, a), a);
  for (const auto& image : prompt.images) {
    aiw::JsonValue inline_data(rapidjson::kObjectType);
    inline_data.AddMember("mimeType", aiw::JsonValue(mime_of_base64(image).c_str(), a), a);
    inline_data.AddMember("data", aiw::JsonValue(image.c_str(), a), a);
    aiw::JsonValue part(rapidjson::kObjectType);
    part.AddMember("inlineData", inline_data, a);
    parts.PushBack(part, a);
  }
  aiw::JsonValue user(rapidjson::kObjectType);
  user.AddMember("role", "user", a).AddMember("parts", parts, a);
  aiw::JsonValue contents(rapidjson::kArrayType);
  contents.PushBack(user, a);
  body.AddMember("contents", contents, a);

  aiw::JsonValue config(rapidjson::kObjectType);
  if (const auto* extra = aiw::find_member(provider, "generation_config"))
    config.CopyFrom(*extra, a);
  if (prompt.json || prompt.schema) {
    config.RemoveMember("responseMimeType");
    config.AddMember("responseMimeType", "application/json", a);
  }
  if (prompt.schema) {
    config.RemoveMember("responseSchema");
    config.RemoveMember("responseJsonSchema");  // never both (protocols.md 2)
    if (needs_json_schema(*prompt.schema))
      config.AddMember("responseJsonSchema", aiw::JsonValue(*prompt.schema, a), a);
    else
      config.AddMember("responseSchema", to_openapi(*prompt.schema, a), a);
  }
  if (config.MemberCount() > 0) body.AddMember("generationConfig", config, a);

  aiw::HttpRequest r;
  r.method = "POST";
  r.url = base_url(provider, "https://generativelanguage.googleapis.com") +
          "/v1beta/models/" + provider["model"].GetString() + ":generateContent";
  r.headers.emplace_back("Content-Type", "application/json");
  // The header, not ?key=: URLs end up in logs and error sentences.
  r.headers.emplace_back("x-goog-api-key", string_or(provider, "api_key", ""));
  r.body = aiw::to_string(body);
  return r;
}

Outcome gemini_read(const aiw::HttpResponse& r) {
  if (r.status < 200 || r.status >= 300) return read_error(r);
  aiw::Json doc;
  if (!aiw::parse_json(r.body, doc) || !doc.IsObject())
    return failure(Kind::kRetryable,
                   "gemini answered 200 with a body that is not JSON (garbled or cut off)");
  Outcome out;
  if (const auto* usage = aiw::find_member(doc, "usageMetadata")) {
    if (const auto* n = aiw::find_member(*usage, "promptTokenCount"); n && n->IsInt64())
      out.prompt_tokens = n->GetInt64();
    if (const auto* n = aiw::find_member(*usage, "candidatesTokenCount"); n && n->IsInt64())
      out.completion_tokens = n->GetInt64();
  }
  if (const auto* version = aiw::find_member(doc, "modelVersion"); version && version->IsString())
    out.model = version->GetString();
  const auto* candidates = aiw::find_member(doc, "candidates");
  if (!candidates || !candidates->IsArray() || candidates->Empty()) {
    const aiw::JsonValue* block = nullptr;
    if (const auto* feedback = aiw::find_member(doc, "promptFeedback"))
      block = aiw::find_member(*feedback, "blockReason");
    // A blocked prompt is a 200 without candidates: asking again gets the same answer.
    if (block && block->IsString()) {
      return failure(Kind::kPermanent, std::string("gemini blocked the prompt (blockReason ") +
                                           block->GetString() + "); change the prompt or image");
    }
    // Nothing says why: not a refusal of this request, so another try may well answer.
    return failure(Kind::kRetryable,
                   "gemini gave an empty answer (no candidates and no blockReason)");
  }
  const aiw::JsonValue& first = (*candidates)[0];
  if (const auto* f = aiw::find_member(first, "finishReason"); f && f->IsString())
    out.finish_reason = f->GetString();
  if (const auto* content = aiw::find_member(first, "content"))
    if (const auto* parts = aiw::find_member(*content, "parts"); parts && parts->IsArray())
      for (const auto& part : parts->GetArray()) {
        const auto* thought = aiw::find_member(part, "thought");
        const auto* text = aiw::find_member(part, "text");
        if (text && text->IsString() && !(thought && thought->IsBool() && thought->GetBool()))
          out.text.append(text->GetString(), text->GetStringLength());
      }
  if (blank(out.text)) {
    std::string reason = out.finish_reason.empty() ? "not given" : out.finish_reason;
    if (is_safety_stop(out.finish_reason)) {
      return failure(Kind::kPermanent, "gemini withheld the answer (finishReason " + reason +
                                           "); change the prompt or image");
    }
    // MAX_TOKENS spent on thoughts, OTHER, a candidate with no parts: nothing to hand on, but
    // the request itself was not refused.
    return failure(Kind::kRetryable, "gemini gave an empty answer (finishReason " + reason + ")");
  }
  return out;
}

}  // namespace llm
