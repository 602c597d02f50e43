// Ollama's native API (docs/protocols.md section 1): /api/chat and /api/generate, streaming
// NDJSON unless "stream":false, /api/tags, /api/version, and the liveness text at "/".
#include <memory>

#include "fakes/sim/answers.h"
#include "fakes/sim/sim_internal.h"

namespace aiw::sim {
namespace {

using fakes::Request;
using fakes::Response;

constexpr int kImageTokens = 576;  // what a llava-style projector spends on one image

void ollama_error(Response& res, int status, const Knobs& knobs) {
  std::string message = "simulated failure";
  if (status == 429) message = "rate limit exceeded";
  if (status == 500) message = "an error was encountered while running the model";
  if (status == 503) message = "server busy, please try again.  maximum pending requests exceeded";
  if (status == 429 || status == 503) {
    res.headers.emplace_back("Retry-After", retry_after_header(knobs.retry_after_s));
  }
  set_json(res, status, write_json([&](JsonWriter& w) {
             w.StartObject();
             w.Key("error"), w.String(message);
             w.EndObject();
           }));
}

std::string with_tag(std::string model) {
  return model.find(':') == std::string::npos ? model + ":latest" : model;
}

bool has_model(const Knobs& knobs, const std::string& model) {
  for (const auto& m : knobs.models) {
    if (with_tag(m) == with_tag(model)) return true;
  }
  return false;
}

// Everything a chat or generate call needs once its body has been checked.
struct Call {
  bool chat = false;
  std::string model;
  bool stream = true;  // Ollama's default
  bool load_only = false;
  bool unload = false;
  int num_predict = -1;
  AnswerRequest answer;
};

// Decodes `images` the way Go decodes []byte from JSON; false with the 400 message filled.
bool read_images(const JsonValue& holder, Call& call, std::string& error) {
  const JsonValue* images = find_member(holder, "images");
  if (images == nullptr || images->IsNull()) return true;
  if (!images->IsArray()) {
    error =
        "json: cannot unmarshal " + std::string("images into Go struct field of type []ImageData");
    return false;
  }
  for (const auto& image : images->GetArray()) {
    std::string bytes;
    size_t bad_at = 0;
    if (!image.IsString() || !base64_decode(image.GetString(), bytes, bad_at)) {
      error = "illegal base64 data at input byte " + std::to_string(bad_at);
      return false;
    }
    call.answer.images.push_back(std::move(bytes));
  }
  return true;
}

// Checks the request as Ollama does, in its order: decoding, model name, format, model found.
// Returns 0 and fills `call`, or the error status with `error`.
int read_call(const Request& req, const Knobs& knobs, Json& doc, Call& call, std::string& error) {
  if (req.body.empty()) return error = "missing request body", 400;
  if (!parse_json(req.body, doc) || !doc.IsObject()) {
    return error = "invalid character in request body: not a JSON object", 400;
  }
  if (const JsonValue* s = find_member(doc, "stream"); s && s->IsBool()) call.stream = s->GetBool();
  if (call.chat) {
    const JsonValue* messages = find_member(doc, "messages");
    if (messages && messages->IsArray()) {
      for (const auto& m : messages->GetArray()) {
        if (const JsonValue* c = find_member(m, "content"); c && c->IsString()) {
          call.answer.text += c->GetString() + std::string("\n");
        }
        if (!read_images(m, call, error)) return 400;
      }
      call.load_only = messages->Empty();
    } else {
      call.load_only = true;
    }
  } else {
    if (const JsonValue* s = find_member(doc, "system"); s && s->IsString()) {
      call.answer.text += s->GetString() + std::string("\n");
    }
    const JsonValue* prompt = find_member(doc, "prompt");
    const bool empty = prompt == nullptr || !prompt->IsString() || prompt->GetStringLength() == 0;
    if (!empty) call.answer.text += prompt->GetString();
    if (!read_images(doc, call, error)) return 400;
    call.load_only = empty;
  }
  if (const JsonValue* options = find_member(doc, "options"); options && !options->IsNull()) {
    if (!options->IsObject()) return error = "json: cannot unmarshal options into map", 400;
    if (const JsonValue* n = find_member(*options, "num_predict"); n && n->IsInt()) {
      call.num_predict = n->GetInt();
    }
  }
  if (const JsonValue* k = find_member(doc, "keep_alive"); k && k->IsNumber()) {
    call.unload = k->GetDouble() == 0;
  }
  const JsonValue* model = find_member(doc, "model");
  if (model == nullptr || !model->IsString() || model->GetStringLength() == 0) {
    return error = "model is required", 400;
  }
  call.model = model->GetString();
  if (const JsonValue* f = find_member(doc, "format"); f && !f->IsNull()) {
    if (f->IsObject()) {
      call.answer.schema = f;
    } else if (f->IsString() && std::string_view(f->GetString()) == "json") {
      call.answer.json = true;
    } else if (!(f->IsString() && f->GetStringLength() == 0)) {
      return error = "invalid format: " + to_string(*f) +
                     "; expected \"json\" or a valid JSON Schema object",
             500;
    }
  }
  if (!has_model(knobs, call.model)) return error = "model '" + call.model + "' not found", 404;
  call.answer.style = knobs.answer_style;
  return 0;
}

// The fields every chunk starts with; `content` goes to message.content or response.
void write_head(JsonWriter& w, const Call& call, const std::string& created_at,
                std::string_view content) {
  w.Key("model"), w.String(call.model);
  w.Key("created_at"), w.String(created_at);
  if (call.chat) {
    w.Key("message");
    w.StartObject();
    w.Key("role"), w.String("assistant");
    w.Key("content"), w.String(content.data(), static_cast<rapidjson::SizeType>(content.size()));
    w.EndObject();
  } else {
    w.Key("response"), w.String(content.data(), static_cast<rapidjson::SizeType>(content.size()));
  }
}

// Durations in nanoseconds, derived from the token counts (not measured): deterministic.
void write_metrics(JsonWriter& w, int prompt_tokens, int eval_tokens, const Knobs& knobs) {
  const int64_t load = 1334875;
  const int64_t prompt_eval = int64_t{prompt_tokens} * 350000;
  const int64_t eval = int64_t{std::max(eval_tokens, 1)} * 16000000;
  const int64_t latency = int64_t{std::max(knobs.latency_ms, 0)} * 1000000;
  w.Key("total_duration"), w.Int64(load + prompt_eval + eval + latency + 2000000);
  w.Key("load_duration"), w.Int64(load);
  w.Key("prompt_eval_count"), w.Int(prompt_tokens);
  w.Key("prompt_eval_duration"), w.Int64(prompt_eval);
  w.Key("eval_count"), w.Int(eval_tokens);
  w.Key("eval_duration"), w.Int64(eval);
}

// Cuts an answer to num_predict tokens on a UTF-8 boundary; true when it was cut.
bool limit_length(std::string& content, int num_predict) {
  if (num_predict < 0 || count_tokens(content) <= num_predict) return false;
  size_t end = static_cast<size_t>(num_predict) * 4;
  while (end > 0 && (static_cast<unsigned char>(content[end]) & 0xC0) == 0x80) --end;
  content.resize(end);
  return true;
}

void answer(const Call& call, Response& res, const Knobs& knobs) {
  const std::string created_at = rfc3339_now();
  if (call.load_only) {  // an empty prompt only loads (or unloads) the model: one object
    return set_json(res, 200, write_json([&](JsonWriter& w) {
                      w.StartObject();
                      write_head(w, call, created_at, "");
                      w.Key("done_reason"), w.String(call.unload ? "unload" : "load");
                      w.Key("done"), w.Bool(true);
                      w.EndObject();
                    }));
  }
  // Without streaming nothing is written before the model has finished, so a failure while it
  // runs is an error before the first chunk: the real status with an error body (protocols.md
  // 1.5), not a 200.
  if (knobs.midstream_error && !call.stream) {
    return set_json(res, 500, "{\"error\":\"an error was encountered while running the model\"}");
  }
  std::string content = generate_answer(call.answer);
  const bool cut = limit_length(content, call.num_predict);
  const int prompt_tokens =
      count_tokens(call.answer.text) + kImageTokens * static_cast<int>(call.answer.images.size());
  auto final_chunk = [&](std::string_view text) {
    return write_json([&](JsonWriter& w) {
      w.StartObject();
      write_head(w, call, created_at, text);
      w.Key("done_reason"), w.String(cut ? "length" : "stop");
      w.Key("done"), w.Bool(true);
      write_metrics(w, prompt_tokens, count_tokens(content), knobs);
      w.EndObject();
    });
  };
  if (!call.stream) return set_json(res, 200, final_chunk(content));

  auto lines = std::make_shared<std::vector<std::string>>();
  auto pieces = stream_pieces(content);
  const size_t stop_at = knobs.midstream_error ? pieces.size() / 2 : pieces.size();
  for (size_t i = 0; i < stop_at; ++i) {
    lines->push_back(write_json([&](JsonWriter& w) {
                       w.StartObject();
                       write_head(w, call, rfc3339_now(), pieces[i]);
                       w.Key("done"), w.Bool(false);
                       w.EndObject();
                     }) +
                     "\n");
  }
  lines->push_back(knobs.midstream_error
                       ? "{\"error\":\"an error was encountered while running the model\"}\n"
                       : final_chunk("") + "\n");
  res.status = 200;
  res.headers.emplace_back("Content-Type", "application/x-ndjson");
  res.piece_interval = std::chrono::milliseconds(std::max(knobs.stream_interval_ms, 0));
  res.next_piece = [lines, next = size_t{0}](std::string& piece) mutable {
    if (next == lines->size()) return false;
    piece = (*lines)[next++];
    return true;
  };
}

ServiceHandler completion(bool chat) {
  return [chat](const Request& req, Response& res, const Knobs& knobs) {
    Json doc;
    Call call;
    call.chat = chat;
    std::string error;
    if (int status = read_call(req, knobs, doc, call, error)) {
      return set_json(res, status, write_json([&](JsonWriter& w) {
                        w.StartObject();
                        w.Key("error"), w.String(error);
                        w.EndObject();
                      }));
    }
    answer(call, res, knobs);
  };
}

void tags(const Request&, Response& res, const Knobs& knobs) {
  set_json(res, 200, write_json([&](JsonWriter& w) {
             w.StartObject();
             w.Key("models");
             w.StartArray();
             for (const auto& m : knobs.models) {
               const std::string name = with_tag(m);
               const std::string family = name.substr(0, name.find_first_of(".:0123456789"));
               char digest[72];
               std::snprintf(digest, sizeof digest, "%016llx%016llx%016llx%016llx",
                             static_cast<unsigned long long>(fnv1a(name)),
                             static_cast<unsigned long long>(fnv1a(name, 1)),
                             static_cast<unsigned long long>(fnv1a(name, 2)),
                             static_cast<unsigned long long>(fnv1a(name, 3)));
               w.StartObject();
               w.Key("name"), w.String(name);
               w.Key("model"), w.String(name);
               w.Key("modified_at"), w.String("2024-11-04T14:56:49.277302595-07:00");
               w.Key("size"), w.Int64(2019393189);
               w.Key("digest"), w.String(digest);
               w.Key("details");
               w.StartObject();
               w.Key("parent_model"), w.String("");
               w.Key("format"), w.String("gguf");
               w.Key("family"), w.String(family);
               w.Key("families");
               w.StartArray();
               w.String(family);
               w.EndArray();
               w.Key("parameter_size"), w.String("3.2B");
               w.Key("quantization_level"), w.String("Q4_K_M");
               w.EndObject();
               w.EndObject();
             }
             w.EndArray();
             w.EndObject();
           }));
}

void running(const Request&, Response& res, const Knobs&) {
  res.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  res.body = "Ollama is running";
}

}  // namespace

ServiceDef ollama_service() {
  return {Service::kOllama,
          ollama_error,
          {
              {"POST", "/api/chat", false, completion(true)},
              {"POST", "/api/generate", false, completion(false)},
              {"GET", "/api/tags", false, tags},
              {"GET", "/api/version", false,
               [](const Request&, Response& res, const Knobs&) {
                 set_json(res, 200, "{\"version\":\"0.5.1\"}");
               }},
              {"GET", "/", false, running},
              // HEAD gets no body: the server would send one, so answer an empty 200.
              {"HEAD", "/", false, [](const Request&, Response&, const Knobs&) {}},
          }};
}

}  // namespace aiw::sim
