// Knobs: what a test can change in a simulated service at run time (latency, faults, answer
// style), how they are read from and written to JSON, and which request a fault hits.
//
// The same JSON object configures a service from `POST /_sim/config`, from `--config` and from
// the per-knob command-line flags, so there is one parser and one set of names (see README.md).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aiw/json.h"

namespace aiw::sim {

enum class Service { kOllama, kGemini, kYolo, kImages };
inline constexpr std::array<Service, 4> kServices = {Service::kOllama, Service::kGemini,
                                                     Service::kYolo, Service::kImages};
// "ollama", "gemini", "yolo", "images": the keys of the control JSON.
std::string_view service_name(Service service);

struct Knobs {
  int latency_ms = 0;        // answer this much later (a timer: no thread sleeps)
  int fail_status = 0;       // answer this status in the service's own error shape; 0 = off
  int fail_every = 0;        // faults hit every Nth request (1 = all) ...
  double error_rate = 0;     // ... or this fraction, spread evenly and deterministically
  double retry_after_s = 1;  // what 429 and 503 announce (Retry-After, Gemini RetryInfo)
  bool hang = false;         // read the request, never answer
  bool truncate = false;     // Content-Length of the whole body, half of it sent, then close
  bool malformed = false;    // a 200 whose body is not valid JSON
  bool down = false;         // close the connection without a word
  std::string answer_style = "json";  // LLMs: "json" | "prose" | "fenced" (```json in prose)
  int stream_interval_ms = 0;         // LLMs: pause between streamed chunks
  bool midstream_error = false;       // Ollama: a stream ends halfway with {"error":...};
                                      // unstreamed, the answer is a 500 with that error
  std::string safety;                 // Gemini: "" | "prompt" | "candidate" (blocked answers)
  std::string api_key;  // Gemini: the one valid key ("" = any); YOLO: required x-api-key
  std::vector<std::string> models = {"llama3.2:latest", "llava:latest", "qwen2.5vl:7b", "gemma3:4b",
                                     "moondream:latest"};  // Ollama's local models
};

// What happens to one request instead of (or on top of) its normal answer.
enum class Fault { kNone, kDown, kHang, kStatus, kTruncate, kMalformed };

// The fault request number `n` (1-based, per service) gets. A fault knob (down, hang,
// fail_status, truncate, malformed; first set wins in that order) hits every request unless
// fail_every or error_rate narrow it; either of those alone fails the requests they pick with
// a 500.
Fault pick_fault(const Knobs& knobs, uint64_t n);

// Sets the knobs named in `object` (other knobs keep their value). False with a sentence in
// `error` on an unknown name or a value of the wrong type; knobs may then be partly set.
bool apply_knobs(const JsonValue& object, Knobs& knobs, std::string& error);

// All knobs as a JSON object.
void write_knobs(const Knobs& knobs, rapidjson::Writer<rapidjson::StringBuffer>& writer);

}  // namespace aiw::sim
