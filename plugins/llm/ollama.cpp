// Ollama's native chat API (protocols.md 1): POST {url}/api/chat.
#include "provider.h"
#include "common/retry_after.h"

namespace llm {
namespace {

using Kind = Outcome::Kind;

int64_t int_member(const aiw::JsonValue& v, const char* name) {
  const aiw::JsonValue* m = aiw::find_member(v, name);
  return m && m->IsInt64() ? m->GetInt64() : -1;
}

// One chunk (or the whole non-streamed answer): appends its content, takes its metrics.
void take_chunk(const aiw::JsonValue& chunk, Outcome& out) {
  if (const auto* message = aiw::find_member(chunk, "message"))
    if (const auto* content = aiw::find_member(*message, "content"); content && content->IsString())
      out.text.append(content->GetString(), content->GetStringLength());
  if (int64_t n = int_member(chunk, "prompt_eval_count"); n >= 0) out.prompt_tokens = n;
  if (int64_t n = int_member(chunk, "eval_count"); n >= 0) out.completion_tokens = n;
  if (const auto* reason = aiw::find_member(chunk, "done_reason"); reason && reason->IsString())
    out.finish_reason = reason->GetString();
  if (const auto* model = aiw::find_member(chunk, "model"); model && model->IsString())
    out.model = model->GetString();
}

bool says_done(const aiw::JsonValue& chunk) {
  const auto* done = aiw::find_member(chunk, "done");
  return done && done->IsBool() && done->GetBool();
}


Outcome failure(Kind kind, std::string error, int64_t retry_after_ms = -1) {
  Outcome out;
  out.kind = kind;
  out.error = std::move(error);
  out.retry_after_ms = retry_after_ms;
  return out;
}

// Both framings: one JSON object, or NDJSON lines ending with "done":true. An {"error":..}
// line mid-stream means the model failed after the 200 was sent. A stream that stops without
// a done:true line was cut off (even when what arrived is a single line that parses as one
// object), so `streamed` asks for that line.
Outcome read_body(std::string_view body, bool streamed) {
  Outcome out;
  bool done = false;
  aiw::Json whole;  // stream:false answers one object (possibly spread over lines)
  if (aiw::parse_json(body, whole) && whole.IsObject()) {
    if (const auto* error = aiw::find_member(whole, "error"); error && error->IsString())
      return failure(Kind::kRetryable, std::string("ollama failed while answering: ") + error->GetString());
    take_chunk(whole, out);
    done = !streamed || says_done(whole);
  } else {
    for (size_t start = 0; start < body.size();) {
      size_t end = body.find('\n', start);
      std::string_view line = body.substr(start, end == std::string_view::npos ? end : end - start);
      start = end == std::string_view::npos ? body.size() : end + 1;
      if (blank(line)) continue;
      aiw::Json chunk;
      if (!aiw::parse_json(line, chunk) || !chunk.IsObject())
        return failure(Kind::kRetryable,
                       "ollama answered 200 with a body that is not JSON (garbled or cut off)");
      if (const auto* error = aiw::find_member(chunk, "error"); error && error->IsString())
        return failure(Kind::kRetryable, std::string("ollama failed while answering: ") + error->GetString());
      take_chunk(chunk, out);
      done = done || says_done(chunk);
    }
  }
  if (!done) return failure(Kind::kRetryable, "ollama's stream ended before it said done");
  // A model that stops at once (a context overflow, a template that ends the turn) says done
  // with nothing in it: no answer to hand on, but another try or provider may give one.
  if (blank(out.text)) {
    std::string reason = out.finish_reason.empty() ? "not given" : out.finish_reason;
    return failure(Kind::kRetryable, "ollama gave an empty answer (done_reason " + reason + ")");
  }
  return out;
}

}  // namespace

aiw::HttpRequest ollama_request(const aiw::JsonValue& provider, const Prompt& prompt) {
  aiw::Json body(rapidjson::kObjectType);
  auto& a = body.GetAllocator();
  body.AddMember("model", aiw::JsonValue(provider["model"].GetString(), a), a);
  const auto* stream = aiw::find_member(provider, "stream");
  body.AddMember("stream", stream && stream->GetBool(), a);  // Ollama streams unless told not to
  aiw::JsonValue messages(rapidjson::kArrayType);
  if (!prompt.system.empty()) {
    aiw::JsonValue m(rapidjson::kObjectType);
    m.AddMember("role", "system", a).AddMember("content", aiw::JsonValue(prompt.system.c_str(), a), a);
    messages.PushBack(m, a);
  }
  aiw::JsonValue user(rapidjson::kObjectType);
  user.AddMember("role", "user", a).AddMember("content", aiw::JsonValue(prompt.prompt.c_str(), a), a);
  if (!prompt.images.empty()) {
    aiw::JsonValue images(rapidjson::kArrayType);
    for (const auto& image : prompt.images) images.PushBack(aiw::JsonValue(image.c_str(), a), a);
    user.AddMember("images", images, a);
  }
  messages.PushBack(user, a);
  body.AddMember("messages", messages, a);
  if (prompt.schema) body.AddMember("format", aiw::JsonValue(*prompt.schema, a), a);
  else if (prompt.json) body.AddMember("format", "json", a);
  if (const auto* options = aiw::find_member(provider, "options"))
    body.AddMember("options", aiw::JsonValue(*options, a), a);
  if (const auto* keep_alive = aiw::find_member(provider, "keep_alive"))
    body.AddMember("keep_alive", aiw::JsonValue(*keep_alive, a), a);

  aiw::HttpRequest r;
  r.method = "POST";
  r.url = base_url(provider, "http://localhost:11434") + "/api/chat";
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = aiw::to_string(body);
  return r;
}

Outcome ollama_read(const aiw::JsonValue& provider, const aiw::HttpResponse& r) {
  if (r.status >= 200 && r.status < 300) {
    const auto* stream = aiw::find_member(provider, "stream");
    return read_body(r.body, stream && stream->IsBool() && stream->GetBool());
  }
  std::string message;
  aiw::Json doc;
  if (aiw::parse_json(r.body, doc))
    if (const auto* e = aiw::find_member(doc, "error"); e && e->IsString()) message = e->GetString();
  if (message.empty()) message = std::string(r.body.substr(0, 200));
  std::string what = "ollama answered HTTP " + std::to_string(r.status) + ": " + message;
  if (r.status == 429 || r.status == 503)
    return failure(Kind::kRetryable, what,
                   aiw::plugin_common::retry_after(r.header("retry-after")).count());
  if (r.status >= 500 || r.status == 408) return failure(Kind::kRetryable, what);
  if (r.status == 404) {
    return failure(Kind::kUnusable, what + " (pull the model with `ollama pull " +
                                        std::string(provider["model"].GetString()) + "`)");
  }
  return failure(Kind::kPermanent, what);
}

}  // namespace llm
