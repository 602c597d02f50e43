#include "fakes/sim/knobs.h"

#include <cmath>
#include <functional>
#include <map>

namespace aiw::sim {
namespace {

// One entry per knob: how to read it from JSON. Writing is done by write_knobs.
using Setter = std::function<bool(const JsonValue&, Knobs&)>;

Setter int_knob(int Knobs::*member) {
  return [member](const JsonValue& v, Knobs& k) {
    if (!v.IsInt()) return false;
    k.*member = v.GetInt();
    return true;
  };
}
Setter double_knob(double Knobs::*member) {
  return [member](const JsonValue& v, Knobs& k) {
    if (!v.IsNumber()) return false;
    k.*member = v.GetDouble();
    return true;
  };
}
Setter bool_knob(bool Knobs::*member) {
  return [member](const JsonValue& v, Knobs& k) {
    if (!v.IsBool()) return false;
    k.*member = v.GetBool();
    return true;
  };
}
Setter string_knob(std::string Knobs::*member) {
  return [member](const JsonValue& v, Knobs& k) {
    if (!v.IsString()) return false;
    k.*member = v.GetString();
    return true;
  };
}

const std::map<std::string, Setter, std::less<>>& setters() {
  static const std::map<std::string, Setter, std::less<>> table = {
      {"latency_ms", int_knob(&Knobs::latency_ms)},
      {"fail_status", int_knob(&Knobs::fail_status)},
      {"fail_every", int_knob(&Knobs::fail_every)},
      {"error_rate", double_knob(&Knobs::error_rate)},
      {"retry_after_s", double_knob(&Knobs::retry_after_s)},
      {"hang", bool_knob(&Knobs::hang)},
      {"truncate", bool_knob(&Knobs::truncate)},
      {"malformed", bool_knob(&Knobs::malformed)},
      {"down", bool_knob(&Knobs::down)},
      {"answer_style", string_knob(&Knobs::answer_style)},
      {"stream_interval_ms", int_knob(&Knobs::stream_interval_ms)},
      {"midstream_error", bool_knob(&Knobs::midstream_error)},
      {"safety", string_knob(&Knobs::safety)},
      {"api_key", string_knob(&Knobs::api_key)},
      {"models",
       [](const JsonValue& v, Knobs& k) {
         if (!v.IsArray()) return false;
         std::vector<std::string> models;
         for (const auto& m : v.GetArray()) {
           if (!m.IsString()) return false;
           models.emplace_back(m.GetString());
         }
         k.models = std::move(models);
         return true;
       }},
  };
  return table;
}

// Picks requests so that exactly floor(n * rate) of the first n are hit, evenly spread: the
// same sequence on every run, unlike a random draw, so a test can count on it.
bool rate_hits(double rate, uint64_t n) {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  constexpr double kEpsilon = 1e-9;
  auto upto = [rate](uint64_t k) { return std::floor(static_cast<double>(k) * rate + kEpsilon); };
  return upto(n) > upto(n - 1);
}

}  // namespace

std::string_view service_name(Service service) {
  switch (service) {
    case Service::kOllama:
      return "ollama";
    case Service::kGemini:
      return "gemini";
    case Service::kYolo:
      return "yolo";
    case Service::kImages:
      return "images";
  }
  return "?";
}

Fault pick_fault(const Knobs& knobs, uint64_t n) {
  const bool narrowed = knobs.fail_every > 0 || knobs.error_rate > 0;
  if (narrowed) {
    const bool every = knobs.fail_every > 0 && n % static_cast<uint64_t>(knobs.fail_every) == 0;
    if (!every && !rate_hits(knobs.error_rate, n)) return Fault::kNone;
  }
  if (knobs.down) return Fault::kDown;
  if (knobs.hang) return Fault::kHang;
  if (knobs.fail_status > 0) return Fault::kStatus;
  if (knobs.truncate) return Fault::kTruncate;
  if (knobs.malformed) return Fault::kMalformed;
  return narrowed ? Fault::kStatus : Fault::kNone;  // kStatus with fail_status 0 means 500
}

bool apply_knobs(const JsonValue& object, Knobs& knobs, std::string& error) {
  if (!object.IsObject()) {
    error = "knobs must be a JSON object";
    return false;
  }
  for (const auto& member : object.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    auto it = setters().find(name);
    if (it == setters().end()) {
      error = "unknown knob '" + std::string(name) + "'";
      return false;
    }
    if (!it->second(member.value, knobs)) {
      error = "knob '" + std::string(name) + "' has a value of the wrong type";
      return false;
    }
  }
  return true;
}

void write_knobs(const Knobs& k, rapidjson::Writer<rapidjson::StringBuffer>& w) {
  w.StartObject();
  w.Key("latency_ms"), w.Int(k.latency_ms);
  w.Key("fail_status"), w.Int(k.fail_status);
  w.Key("fail_every"), w.Int(k.fail_every);
  w.Key("error_rate"), w.Double(k.error_rate);
  w.Key("retry_after_s"), w.Double(k.retry_after_s);
  w.Key("hang"), w.Bool(k.hang);
  w.Key("truncate"), w.Bool(k.truncate);
  w.Key("malformed"), w.Bool(k.malformed);
  w.Key("down"), w.Bool(k.down);
  w.Key("answer_style"), w.String(k.answer_style);
  w.Key("stream_interval_ms"), w.Int(k.stream_interval_ms);
  w.Key("midstream_error"), w.Bool(k.midstream_error);
  w.Key("safety"), w.String(k.safety);
  w.Key("api_key"), w.String(k.api_key);
  w.Key("models");
  w.StartArray();
  for (const auto& m : k.models) w.String(m);
  w.EndArray();
  w.EndObject();
}

}  // namespace aiw::sim
