// Simulator: protocol-faithful stand-ins for the AI services the pipelines call, on one
// loopback port, for tests, benchmarks and local runs without GPUs or API keys.
//
//   Ollama  POST /api/chat, /api/generate (NDJSON streaming by default), GET /api/tags,
//   /api/version Gemini  POST /v1beta/models/{model}:generateContent,
//   :streamGenerateContent[?alt=sse] YOLO    POST /v1/predict (alias /detect), multipart file or
//   JSON {"url"} Images  GET /images/<name>.{jpg,png,webp,pdf,html}, /images/big?bytes=N,
//   /redirect?to=&n= Control POST /_sim/config, GET /_sim/config, GET /_sim/stats, POST /_sim/reset
//
// Answers are deterministic functions of the request (same prompt and image, same answer);
// see answers.h. Wire formats follow docs/protocols.md; tests/fakes/README.md lists the knobs.
//
//   aiw::sim::Simulator sim;                       // ephemeral port
//   sim.knobs(Service::kGemini).fail_status;       // read
//   auto k = sim.knobs(Service::kOllama); k.fail_status = 503; k.fail_every = 2;
//   sim.configure(Service::kOllama, k);            // every 2nd Ollama request gets a 503
//   curl(sim.url("/api/chat"), ...);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "fakes/sim/knobs.h"

namespace aiw::sim {

struct SimConfig {
  uint16_t port = 0;  // 0: an ephemeral port
  int threads = 2;
  Knobs ollama, gemini, yolo, images;  // what reset() returns to
};

// The knobs of one service in a config.
Knobs& knobs_of(SimConfig& config, Service service);
// Applies a control JSON ({"ollama":{...},"gemini":{...},...}; only the knobs named change) to
// `config`. All or nothing: false with a sentence in `error` on an unknown service or knob.
bool apply_config_json(std::string_view json, SimConfig& config, std::string& error);

struct ServiceStats {
  uint64_t requests = 0;             // requests that reached the service
  uint64_t faults = 0;               // of those, hit by a fault knob
  std::map<int, uint64_t> statuses;  // answers by HTTP status (hangs and drops excluded)
};

class Simulator {
 public:
  // Starts serving at once. Throws boost::system::system_error when the port is taken.
  explicit Simulator(SimConfig config = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:<port>" followed by `path`.
  std::string url(std::string_view path = "") const;

  Knobs knobs(Service service) const;
  void configure(Service service, Knobs knobs);
  // The body of POST /_sim/config: {"ollama":{...},"gemini":{...},...}; only the knobs named
  // change. False with a sentence in `error` on unknown services or knobs.
  bool configure_json(std::string_view json, std::string& error);

  ServiceStats stats(Service service) const;
  std::string stats_json() const;   // the body of GET /_sim/stats
  std::string config_json() const;  // the body of GET /_sim/config
  // Knobs back to the SimConfig's, counters to zero.
  void reset();

  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aiw::sim
