// The simulator's core: one HttpServer, the services' routes wrapped so that every request is
// counted and the fault knobs apply the same way everywhere, and the /_sim control endpoints.
#include "fakes/sim/simulator.h"

#include <algorithm>
#include <array>
#include <mutex>

#include "fakes/sim/sim_internal.h"

namespace aiw::sim {
namespace {

using fakes::Request;
using fakes::Response;

struct ServiceState {
  Knobs knobs;
  Knobs initial;
  ServiceStats stats;
};

// A streamed answer as one body, so that a fault can cut or spoil it.
void gather(Response& response) {
  if (!response.next_piece) return;
  std::string piece;
  response.body.clear();
  while (response.next_piece(piece)) {
    response.body += piece;
    piece.clear();
  }
  response.next_piece = nullptr;
  response.piece_interval = {};
  response.content_length.reset();
}

// A 200 whose body is not JSON: the start of the real answer, then garbage, as from a proxy
// that mangled it or a model server that crashed while writing.
void make_malformed(Response& response) {
  gather(response);
  response.body = response.body.substr(0, response.body.size() / 2) + "<<simulated garbage";
}

}  // namespace

Knobs& knobs_of(SimConfig& config, Service service) {
  switch (service) {
    case Service::kOllama:
      return config.ollama;
    case Service::kGemini:
      return config.gemini;
    case Service::kYolo:
      return config.yolo;
    case Service::kImages:
      break;
  }
  return config.images;
}

// All or nothing: a typo in one knob leaves every service as it was.
bool apply_config_json(std::string_view text, SimConfig& config, std::string& error) {
  Json doc;
  if (!parse_json(text, doc) || !doc.IsObject()) {
    error = "the config must be a JSON object like {\"ollama\":{\"latency_ms\":100}}";
    return false;
  }
  SimConfig next = config;
  for (const auto& member : doc.GetObject()) {
    std::string_view name = member.name.GetString();
    auto it = std::find_if(kServices.begin(), kServices.end(),
                           [&](Service s) { return service_name(s) == name; });
    if (it == kServices.end()) {
      error = "unknown service '" + std::string(name) + "' (ollama, gemini, yolo, images)";
      return false;
    }
    if (!apply_knobs(member.value, knobs_of(next, *it), error)) {
      error = std::string(name) + ": " + error;
      return false;
    }
  }
  config = std::move(next);
  return true;
}

struct Simulator::Impl {
  explicit Impl(const SimConfig& config) : server(config.threads, config.port) {
    SimConfig copy = config;
    for (Service s : kServices) state(s).knobs = state(s).initial = knobs_of(copy, s);
  }

  ServiceState& state(Service s) { return services[static_cast<size_t>(s)]; }

  void install(const ServiceDef& def) {
    for (const auto& route : def.routes) {
      fakes::Handler wrapped = [this, service = def.service, error = def.error,
                                handler = route.handler](const Request& req, Response& res) {
        serve(service, error, handler, req, res);
      };
      if (route.prefix) {
        server.route_prefix(route.method, route.path, std::move(wrapped));
      } else {
        server.route(route.method, route.path, std::move(wrapped));
      }
    }
  }

  void serve(Service service, ErrorWriter error, const ServiceHandler& handler,
             const Request& request, Response& response) {
    Knobs knobs;
    Fault fault;
    {
      std::lock_guard lock(mu);
      auto& s = state(service);
      knobs = s.knobs;
      fault = pick_fault(knobs, ++s.stats.requests);
      if (fault != Fault::kNone) ++s.stats.faults;
    }
    response.delay = std::chrono::milliseconds(std::max(knobs.latency_ms, 0));
    switch (fault) {
      case Fault::kDown:
        response.drop = true;
        return;
      case Fault::kHang:
        response.hang = true;
        return;
      case Fault::kStatus:
        error(response, knobs.fail_status > 0 ? knobs.fail_status : 500, knobs);
        break;
      default:
        handler(request, response, knobs);
        break;
    }
    if (fault == Fault::kTruncate) {
      gather(response);
      response.truncate = true;
    }
    if (fault == Fault::kMalformed) make_malformed(response);
    std::lock_guard lock(mu);
    ++state(service).stats.statuses[response.status];
  }

  std::string stats_json() {
    std::lock_guard lock(mu);
    return write_json([&](JsonWriter& w) {
      w.StartObject();
      for (Service s : kServices) {
        const auto& st = state(s).stats;
        w.Key(service_name(s).data());
        w.StartObject();
        w.Key("requests"), w.Uint64(st.requests);
        w.Key("faults"), w.Uint64(st.faults);
        w.Key("statuses");
        w.StartObject();
        for (const auto& [status, count] : st.statuses) {
          w.Key(std::to_string(status).c_str()), w.Uint64(count);
        }
        w.EndObject();
        w.EndObject();
      }
      w.EndObject();
    });
  }

  std::string config_json() {
    std::lock_guard lock(mu);
    return write_json([&](JsonWriter& w) {
      w.StartObject();
      for (Service s : kServices) {
        w.Key(service_name(s).data());
        write_knobs(state(s).knobs, w);
      }
      w.EndObject();
    });
  }

  bool configure_json(std::string_view text, std::string& error) {
    std::lock_guard lock(mu);
    SimConfig next;
    for (Service s : kServices) knobs_of(next, s) = state(s).knobs;
    if (!apply_config_json(text, next, error)) return false;
    for (Service s : kServices) state(s).knobs = knobs_of(next, s);
    return true;
  }

  void reset() {
    std::lock_guard lock(mu);
    for (auto& s : services) s = ServiceState{s.initial, s.initial, {}};
  }

  void install_control() {
    auto error_body = [](const std::string& message) {
      return write_json([&](JsonWriter& w) {
        w.StartObject();
        w.Key("error"), w.String(message);
        w.EndObject();
      });
    };
    server.route("POST", "/_sim/config", [this, error_body](const Request& req, Response& res) {
      std::string error;
      if (!configure_json(req.body, error)) return set_json(res, 400, error_body(error));
      set_json(res, 200, config_json());
    });
    server.route("GET", "/_sim/config",
                 [this](const Request&, Response& res) { set_json(res, 200, config_json()); });
    server.route("GET", "/_sim/stats",
                 [this](const Request&, Response& res) { set_json(res, 200, stats_json()); });
    server.route("POST", "/_sim/reset", [this](const Request&, Response& res) {
      reset();
      set_json(res, 200, "{\"ok\":true}");
    });
  }

  std::mutex mu;
  std::array<ServiceState, kServices.size()> services;
  fakes::HttpServer server;  // last: stopped (in its destructor) before the state goes
};

Simulator::Simulator(SimConfig config) : impl_(std::make_unique<Impl>(config)) {
  impl_->install_control();
  for (const auto& def : {ollama_service(), gemini_service(), yolo_service(), images_service()}) {
    impl_->install(def);
  }
}

Simulator::~Simulator() { stop(); }

uint16_t Simulator::port() const { return impl_->server.port(); }
std::string Simulator::url(std::string_view path) const { return impl_->server.url(path); }

Knobs Simulator::knobs(Service service) const {
  std::lock_guard lock(impl_->mu);
  return impl_->state(service).knobs;
}

void Simulator::configure(Service service, Knobs knobs) {
  std::lock_guard lock(impl_->mu);
  impl_->state(service).knobs = std::move(knobs);
}

bool Simulator::configure_json(std::string_view json, std::string& error) {
  return impl_->configure_json(json, error);
}

ServiceStats Simulator::stats(Service service) const {
  std::lock_guard lock(impl_->mu);
  return impl_->state(service).stats;
}

std::string Simulator::stats_json() const { return impl_->stats_json(); }
std::string Simulator::config_json() const { return impl_->config_json(); }
void Simulator::reset() { impl_->reset(); }
void Simulator::stop() { impl_->server.stop(); }

}  // namespace aiw::sim
