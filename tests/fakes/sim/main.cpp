// aiw-sim: the AI service simulator as a program, for scripts, demos and manual tests.
//   aiw-sim --port 0 --ollama-latency-ms 200 --gemini-fail-status 429 --gemini-retry-after-s 15
// Prints "listening on http://127.0.0.1:<port>" as its first line, serves until SIGINT/SIGTERM.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fakes/sim/simulator.h"

namespace {

constexpr const char* kHelp = R"(usage: aiw-sim [flags]

Protocol-faithful simulators of Ollama, Gemini, a YOLO service and an image host on one
loopback port (see tests/fakes/README.md).

  --port N                listen on 127.0.0.1:N (default 0: an ephemeral port)
  --threads N             server threads (default 2)
  --config JSON|@FILE     knobs as for POST /_sim/config, e.g. '{"ollama":{"latency_ms":100}}'
  --<service>-<knob> V    one knob; service is ollama, gemini, yolo or images, the knob is its
                          JSON name with '-' for '_'; V is JSON (100, true, "x", [..]) or a bare
                          string. E.g. --gemini-fail-status 429 --gemini-retry-after-s 15
                          --ollama-answer-style fenced --yolo-hang true
  --help                  this text

Knobs: latency_ms fail_status fail_every error_rate retry_after_s hang truncate malformed down
       answer_style stream_interval_ms midstream_error safety api_key models
Control at run time: POST /_sim/config, GET /_sim/config, GET /_sim/stats, POST /_sim/reset.
The first line printed is "listening on http://127.0.0.1:<port>".
)";

int fail(const std::string& message) {
  std::cerr << "aiw-sim: " << message << "\n";
  return 2;
}

// A flag value as JSON: valid JSON stays as it is, anything else becomes a JSON string.
std::string as_json_value(const std::string& value) {
  aiw::Json doc;
  if (aiw::parse_json(value, doc)) return value;
  rapidjson::Value text(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                        doc.GetAllocator());
  return aiw::to_string(text);
}

}  // namespace

int main(int argc, char** argv) {
  aiw::sim::SimConfig config;
  std::vector<std::string> knob_configs;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i], value;
    if (flag == "--help" || flag == "-h") return std::cout << kHelp, 0;
    if (!flag.starts_with("--")) return fail("unexpected argument '" + flag + "' (see --help)");
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return fail(flag + " needs a value");
    }
    if (flag == "--port") {
      config.port = static_cast<uint16_t>(std::stoi(value));
    } else if (flag == "--threads") {
      config.threads = std::stoi(value);
    } else if (flag == "--config") {
      if (value.starts_with("@")) {
        std::ifstream file(value.substr(1));
        if (!file) return fail("cannot read " + value.substr(1));
        std::stringstream text;
        text << file.rdbuf();
        value = text.str();
      }
      knob_configs.push_back(value);
    } else {
      const std::string name = flag.substr(2);
      const auto dash = name.find('-');
      if (dash == std::string::npos) return fail("unknown flag " + flag + " (see --help)");
      std::string knob = name.substr(dash + 1);
      for (auto& c : knob) c = c == '-' ? '_' : c;
      knob_configs.push_back("{\"" + name.substr(0, dash) + "\":{\"" + knob +
                             "\":" + as_json_value(value) + "}}");
    }
  }
  // Knobs from flags are the start-up state that POST /_sim/reset returns to.
  for (const auto& json : knob_configs) {
    std::string error;
    if (!aiw::sim::apply_config_json(json, config, error)) return fail(error);
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server threads start
  try {
    aiw::sim::Simulator sim(config);
    std::cout << "listening on " << sim.url() << std::endl;
    int signal = 0;
    sigwait(&signals, &signal);
  } catch (const std::exception& e) {
    return fail(std::string("cannot listen: ") + e.what());
  }
  return 0;
}
