// What llm.chat's providers share: the prompt, and what one provider's answer came to. Each
// provider turns a Prompt into its wire request and reads its wire answer back (protocols.md
// sections 1 and 2); chat.cpp runs the fallback chain over them.
#pragma once

#include <aiw/plugin.h>

#include <cstdint>
#include <string>
#include <vector>

namespace llm {

struct Prompt {
  std::string system;               // may be empty
  std::string prompt;
  std::vector<std::string> images;  // raw base64, no data: prefix
  bool json = false;                // the answer must be JSON
  const aiw::JsonValue* schema = nullptr;  // a JSON Schema the answer must follow, or null
};

struct Outcome {
  enum class Kind {
    kOk,
    kRetryable,  // down, slow, overloaded, rate limited: the next provider may answer
    kUnusable,   // this provider cannot serve it (unknown model, no key): try the next one
    kPermanent,  // the request itself is refused (bad request, safety block): stop the chain
  };
  Kind kind = Kind::kOk;
  std::string text;
  std::string model;  // the model the answer says it came from (Ollama model, Gemini
                      // modelVersion), or empty when it does not say
  std::string error;  // a sentence naming the provider, when not kOk
  std::string finish_reason;
  int64_t prompt_tokens = -1;
  int64_t completion_tokens = -1;
  int64_t retry_after_ms = -1;
};

// `provider` is one entry of the stage's `providers` list.
aiw::HttpRequest ollama_request(const aiw::JsonValue& provider, const Prompt& prompt);
Outcome ollama_read(const aiw::JsonValue& provider, const aiw::HttpResponse& response);

aiw::HttpRequest gemini_request(const aiw::JsonValue& provider, const Prompt& prompt);
Outcome gemini_read(const aiw::HttpResponse& response);

// Helpers both providers use (provider.cpp).
std::string string_or(const aiw::JsonValue& object, const char* name, const std::string& fallback);
// The provider's `url` (or fallback) without trailing slashes.
std::string base_url(const aiw::JsonValue& provider, const std::string& fallback);
// "image/png" for base64 that starts like a PNG, and so on; image/jpeg when unknown.
std::string mime_of_base64(std::string_view base64);
// Nothing but white space: an answer with nothing in it.
bool blank(std::string_view text);
// The base64 of a "data:<mime>;base64,<data>" URL, or `image` as it is when it is not one.
std::string_view without_data_url_prefix(std::string_view image);

}  // namespace llm
