// The Gemini REST API (docs/protocols.md section 2): models/{model}:generateContent and
// :streamGenerateContent (SSE with alt=sse, else one JSON array), proto3 JSON in both
// spellings, Google's error envelope, and blocked answers.
#include <cstdio>
#include <memory>

#include "fakes/sim/answers.h"
#include "fakes/sim/sim_internal.h"

namespace aiw::sim {
namespace {

using fakes::Request;
using fakes::Response;

constexpr int kImageTokens = 258;  // Gemini's documented cost of one image

const char* status_name(int code) {
  switch (code) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 500:
      return "INTERNAL";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return code >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  }
}

// {"error":{"code","message","status","details":[...]}}; `details` writes the array items.
void google_error(Response& res, int code, const std::string& message,
                  const std::function<void(JsonWriter&)>& details = nullptr) {
  set_json(res, code, write_json([&](JsonWriter& w) {
             w.StartObject();
             w.Key("error");
             w.StartObject();
             w.Key("code"), w.Int(code);
             w.Key("message"), w.String(message);
             w.Key("status"), w.String(status_name(code));
             if (details) {
               w.Key("details");
               w.StartArray();
               details(w);
               w.EndArray();
             }
             w.EndObject();
             w.EndObject();
           }));
}

// A protobuf Duration: decimal seconds and an "s" ("15s", "1.5s").
std::string duration_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%gs", seconds);
  return text;
}

void gemini_error(Response& res, int status, const Knobs& knobs) {
  if (status == 429) {
    const std::string delay = duration_text(knobs.retry_after_s);
    return google_error(
        res, 429,
        "You exceeded your current quota, please check your plan and billing details. Please "
        "retry in " +
            delay + ".",
        [&](JsonWriter& w) {
          w.StartObject();
          w.Key("@type"), w.String("type.googleapis.com/google.rpc.QuotaFailure");
          w.Key("violations");
          w.StartArray();
          w.StartObject();
          w.Key("quotaMetric"),
              w.String("generativelanguage.googleapis.com/generate_content_free_tier_requests");
          w.Key("quotaId"), w.String("GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
          w.Key("quotaValue"), w.String("10");
          w.EndObject();
          w.EndArray();
          w.EndObject();
          w.StartObject();
          w.Key("@type"), w.String("type.googleapis.com/google.rpc.RetryInfo");
          w.Key("retryDelay"), w.String(delay);
          w.EndObject();
        });
  }
  std::string message = "Simulated failure.";
  if (status == 500) {
    message =
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting";
  }
  if (status == 503) message = "The model is overloaded. Please try again later.";
  if (status == 504) message = "Deadline expired before operation could complete.";
  google_error(res, status, message);
}

// proto3 JSON: a field in lowerCamelCase or snake_case.
const JsonValue* field(const JsonValue& object, std::string_view camel, std::string_view snake) {
  const JsonValue* v = find_member(object, camel);
  return v ? v : find_member(object, snake);
}

std::string string_field(const JsonValue& object, std::string_view camel, std::string_view snake) {
  const JsonValue* v = field(object, camel, snake);
  return v && v->IsString() ? v->GetString() : "";
}

struct Call {
  std::string model;
  bool stream = false;
  bool sse = false;
  std::string mime_type = "text/plain";
  int max_tokens = -1;
  int text_tokens = 0;
  AnswerRequest answer;
};

// Returns 0 with `call` filled, or an error status with `res` filled.
int read_call(const Request& req, const Knobs& knobs, Json& doc, Call& call, Response& res) {
  std::string key = req.header("x-goog-api-key");
  if (key.empty()) key = query_param(req.target, "key").value_or("");
  if (key.empty()) {
    google_error(res, 403,
                 "Method doesn't allow unregistered callers (callers without established "
                 "identity). Please use API Key or other form of API consumer identity to call "
                 "this API.");
    return 403;
  }
  if (!knobs.api_key.empty() && key != knobs.api_key) {
    google_error(res, 400, "API key not valid. Please pass a valid API key.", [](JsonWriter& w) {
      w.StartObject();
      w.Key("@type"), w.String("type.googleapis.com/google.rpc.ErrorInfo");
      w.Key("reason"), w.String("API_KEY_INVALID");
      w.Key("domain"), w.String("googleapis.com");
      w.Key("metadata");
      w.StartObject();
      w.Key("service"), w.String("generativelanguage.googleapis.com");
      w.EndObject();
      w.EndObject();
    });
    return 400;
  }
  std::string_view rest =
      std::string_view(req.path).substr(std::string_view("/v1beta/models/").size());
  const auto colon = rest.rfind(':');
  const std::string_view method = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
  call.model = std::string(rest.substr(0, colon));
  if (method != "generateContent" && method != "streamGenerateContent") {
    google_error(res, 404, "Method not found.");
    return 404;
  }
  call.stream = method == "streamGenerateContent";
  call.sse = query_param(req.target, "alt").value_or("") == "sse";
  if (!call.model.starts_with("gemini-") && !call.model.starts_with("gemma-")) {
    google_error(res, 404,
                 "models/" + call.model +
                     " is not found for API version v1beta, or is not supported for " +
                     std::string(method) +
                     ". Call ListModels to see the list of available models and their supported "
                     "methods.");
    return 404;
  }
  if (!parse_json(req.body, doc) || !doc.IsObject()) {
    google_error(res, 400, "Invalid JSON payload received. Unexpected token.");
    return 400;
  }
  if (const JsonValue* system = field(doc, "systemInstruction", "system_instruction")) {
    if (const JsonValue* parts = find_member(*system, "parts"); parts && parts->IsArray()) {
      for (const auto& part : parts->GetArray()) {
        if (auto* t = find_member(part, "text"); t && t->IsString()) {
          call.answer.text += t->GetString() + std::string("\n");
        }
      }
    }
  }
  const JsonValue* contents = find_member(doc, "contents");
  if (contents == nullptr || !contents->IsArray() || contents->Empty()) {
    google_error(res, 400, "* GenerateContentRequest.contents: contents is not specified\n");
    return 400;
  }
  for (rapidjson::SizeType i = 0; i < contents->Size(); ++i) {
    const JsonValue* parts = find_member((*contents)[i], "parts");
    if (parts == nullptr || !parts->IsArray()) continue;
    for (rapidjson::SizeType j = 0; j < parts->Size(); ++j) {
      const JsonValue& part = (*parts)[j];
      if (auto* t = find_member(part, "text"); t && t->IsString()) {
        call.answer.text += t->GetString() + std::string("\n");
      }
      const JsonValue* blob = field(part, "inlineData", "inline_data");
      if (blob == nullptr) continue;
      std::string data = string_field(*blob, "data", "data"), bytes;
      size_t bad_at = 0;
      if (!base64_decode(data, bytes, bad_at, true)) {
        google_error(res, 400,
                     "Invalid value at 'contents[" + std::to_string(i) + "].parts[" +
                         std::to_string(j) + "].inline_data.data' (TYPE_BYTES), Base64 decoding " +
                         "failed for \"" + data.substr(0, 32) + "\"");
        return 400;
      }
      call.answer.images.push_back(std::move(bytes));
    }
  }
  call.text_tokens = count_tokens(call.answer.text);
  if (const JsonValue* config = field(doc, "generationConfig", "generation_config")) {
    const std::string mime = string_field(*config, "responseMimeType", "response_mime_type");
    if (!mime.empty()) call.mime_type = mime;
    const JsonValue* schema = field(*config, "responseSchema", "response_schema");
    const JsonValue* json_schema = field(*config, "responseJsonSchema", "response_json_schema");
    if (schema && json_schema) {
      google_error(res, 400, "responseSchema and responseJsonSchema cannot both be set.");
      return 400;
    }
    call.answer.schema = schema ? schema : json_schema;
    if (call.answer.schema && call.mime_type != "application/json" &&
        call.mime_type != "text/x.enum") {
      google_error(res, 400,
                   "* GenerateContentRequest.generation_config.response_mime_type: "
                   "response_schema is only supported with application/json or text/x.enum\n");
      return 400;
    }
    if (auto* m = field(*config, "maxOutputTokens", "max_output_tokens"); m && m->IsInt()) {
      call.max_tokens = m->GetInt();
    }
  }
  call.answer.json = call.mime_type == "application/json";
  call.answer.style = knobs.answer_style;
  return 0;
}

// One GenerateContentResponse; `finish` set on the last (or only) one.
std::string response_json(const Call& call, std::string_view text, const char* finish,
                          int answer_tokens, uint64_t seed, const Knobs& knobs) {
  const int image_tokens = kImageTokens * static_cast<int>(call.answer.images.size());
  const int prompt_tokens = call.text_tokens + image_tokens;
  const bool blocked = knobs.safety == "prompt";
  return write_json([&](JsonWriter& w) {
    w.StartObject();
    if (blocked) {
      w.Key("promptFeedback");
      w.StartObject();
      w.Key("blockReason"), w.String("SAFETY");
      w.Key("safetyRatings");
      w.StartArray();
      w.StartObject();
      w.Key("category"), w.String("HARM_CATEGORY_DANGEROUS_CONTENT");
      w.Key("probability"), w.String("HIGH");
      w.EndObject();
      w.EndArray();
      w.EndObject();
    } else {
      w.Key("candidates");
      w.StartArray();
      w.StartObject();
      if (knobs.safety != "candidate") {
        w.Key("content");
        w.StartObject();
        w.Key("parts");
        w.StartArray();
        w.StartObject();
        w.Key("text"), w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
        w.EndObject();
        w.EndArray();
        w.Key("role"), w.String("model");
        w.EndObject();
      }
      if (finish) w.Key("finishReason"), w.String(finish);
      w.Key("index"), w.Int(0);
      if (finish) w.Key("avgLogprobs"), w.Double(-0.061);
      w.EndObject();
      w.EndArray();
    }
    if (finish) {
      w.Key("usageMetadata");
      w.StartObject();
      w.Key("promptTokenCount"), w.Int(prompt_tokens);
      if (!blocked) w.Key("candidatesTokenCount"), w.Int(answer_tokens);
      w.Key("totalTokenCount"), w.Int(prompt_tokens + (blocked ? 0 : answer_tokens));
      w.Key("promptTokensDetails");
      w.StartArray();
      w.StartObject();
      w.Key("modality"), w.String("TEXT");
      w.Key("tokenCount"), w.Int(call.text_tokens);
      w.EndObject();
      if (image_tokens > 0) {
        w.StartObject();
        w.Key("modality"), w.String("IMAGE");
        w.Key("tokenCount"), w.Int(image_tokens);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.Key("modelVersion"), w.String(call.model);
    char id[24];
    std::snprintf(id, sizeof id, "sim%016llx", static_cast<unsigned long long>(seed));
    w.Key("responseId"), w.String(id);
    w.EndObject();
  });
}

void answer(const Call& call, Response& res, const Knobs& knobs) {
  const uint64_t seed = answer_seed(call.answer);
  std::string text;
  const JsonValue* choices =
      call.answer.schema ? find_member(*call.answer.schema, "enum") : nullptr;
  if (call.mime_type == "text/x.enum" && choices && choices->IsArray() && !choices->Empty() &&
      (*choices)[0].IsString()) {
    text = (*choices)[0].GetString();  // an enum answer is the bare value
  } else {
    text = generate_answer(call.answer);
  }
  const char* finish = knobs.safety == "candidate" ? "SAFETY" : "STOP";
  if (call.max_tokens >= 0 && count_tokens(text) > call.max_tokens) {
    size_t end = static_cast<size_t>(call.max_tokens) * 4;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
    finish = "MAX_TOKENS";
  }
  const int tokens = count_tokens(text);
  if (!call.stream)
    return set_json(res, 200, response_json(call, text, finish, tokens, seed, knobs));

  auto pieces = stream_pieces(text, 4);
  if (pieces.empty()) pieces.emplace_back();
  auto events = std::make_shared<std::vector<std::string>>();
  for (size_t i = 0; i < pieces.size(); ++i) {
    const bool last = i + 1 == pieces.size();
    events->push_back(response_json(call, pieces[i], last ? finish : nullptr, tokens, seed, knobs));
    if (knobs.safety == "prompt") break;  // a blocked prompt is one event and nothing else
  }
  res.status = 200;
  res.piece_interval = std::chrono::milliseconds(std::max(knobs.stream_interval_ms, 0));
  if (call.sse) {
    res.headers.emplace_back("Content-Type", "text/event-stream");
    for (auto& e : *events) e = "data: " + e + "\r\n\r\n";
  } else {  // without alt=sse: one JSON array, written as it grows
    res.headers.emplace_back("Content-Type", "application/json; charset=UTF-8");
    for (size_t i = 0; i < events->size(); ++i) {
      (*events)[i] = (i == 0 ? "[" : ",\r\n") + (*events)[i];
    }
    events->back() += "]";
  }
  res.next_piece = [events, next = size_t{0}](std::string& piece) mutable {
    if (next == events->size()) return false;
    piece = (*events)[next++];
    return true;
  };
}

void generate(const Request& req, Response& res, const Knobs& knobs) {
  Json doc;
  Call call;
  if (read_call(req, knobs, doc, call, res) != 0) return;
  answer(call, res, knobs);
}

}  // namespace

ServiceDef gemini_service() {
  return {Service::kGemini, gemini_error, {{"POST", "/v1beta/models/", true, generate}}};
}

}  // namespace aiw::sim
