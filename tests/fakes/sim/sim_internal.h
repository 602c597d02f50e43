// What the simulator's services share: the wrapper that counts requests and applies fault
// knobs (simulator.cpp), the route tables each service file exports, and small helpers.
// Not part of the simulator's API (simulator.h); tests may use the helpers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiw/json.h"
#include "fakes/http_server.h"
#include "fakes/sim/knobs.h"

namespace aiw::sim {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A service handler sees the knobs in force when its request arrived (a copy: a test may
// reconfigure while it runs).
using ServiceHandler = std::function<void(const fakes::Request&, fakes::Response&, const Knobs&)>;
// Fills a response with `status` in the service's own error shape (fail_status knob).
using ErrorWriter = void (*)(fakes::Response&, int status, const Knobs&);

struct ServiceRoute {
  std::string method;
  std::string path;
  bool prefix = false;  // path is a prefix (e.g. "/v1beta/models/")
  ServiceHandler handler;
};

struct ServiceDef {
  Service service;
  ErrorWriter error;
  std::vector<ServiceRoute> routes;
};

ServiceDef ollama_service();
ServiceDef gemini_service();
ServiceDef yolo_service();
ServiceDef images_service();

// A served file of the image host (images.cpp), also what YOLO analyses for a URL that
// points at /images/<name>.
struct Asset {
  std::string content_type;
  std::string bytes;
};
std::optional<Asset> render_asset(std::string_view name);

// --- helpers (util.cpp) ---

uint64_t fnv1a(std::string_view data, uint64_t hash = 1469598103934665603ull);
// The query parameter `name` of a target ("/p?a=1&b=x%20y"), percent-decoded, or nullopt.
std::optional<std::string> query_param(std::string_view target, std::string_view name);
std::string percent_decode(std::string_view text);
std::string percent_encode(std::string_view text);
// Standard base64 (RFC 4648). `url_safe_too` also takes '-' and '_' and missing padding, as
// proto3 JSON does. On failure returns false and the offset of the first bad byte, the way
// Go reports it ("illegal base64 data at input byte N"). CR and LF are skipped, as in Go.
bool base64_decode(std::string_view text, std::string& out, size_t& bad_at,
                   bool url_safe_too = false);
std::string base64_encode(std::string_view bytes);
// Now as RFC 3339 with nanoseconds in UTC: "2024-12-06T00:46:58.265747123Z".
std::string rfc3339_now();
// Sets a JSON body with its Content-Type.
void set_json(fakes::Response& response, int status, std::string body);
// Retry-After in whole seconds (RFC 9110 allows no fraction), at least 1.
std::string retry_after_header(double seconds);
// Compact JSON of whatever `write` writes.
std::string write_json(const std::function<void(JsonWriter&)>& write);

}  // namespace aiw::sim
