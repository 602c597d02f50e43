// The YOLO detection service in the shape we standardised on (docs/protocols.md 3.1, errors
// 3.3): multipart upload or JSON {"url"}, the HUB v1 envelope, FastAPI's error bodies.
// Detections are a function of the image bytes: same image, same boxes.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

#include "fakes/sim/sim_internal.h"

namespace aiw::sim {
namespace {

using fakes::Request;
using fakes::Response;

constexpr size_t kMaxFile = 10u << 20;
constexpr std::array<const char*, 12> kLabels = {"rice",   "beans",  "chicken", "beef",
                                                 "egg",    "bread",  "banana",  "lettuce",
                                                 "tomato", "potato", "plate",   "cup"};

void detail(Response& res, int status, const std::string& text) {
  set_json(res, status, write_json([&](JsonWriter& w) {
             w.StartObject();
             w.Key("detail"), w.String(text);
             w.EndObject();
           }));
}

// Pydantic v2's validation error, as FastAPI sends it with 422.
void invalid_field(Response& res, const char* type, const char* field, const char* msg,
                   const std::optional<std::string>& input) {
  set_json(res, 422, write_json([&](JsonWriter& w) {
             w.StartObject();
             w.Key("detail");
             w.StartArray();
             w.StartObject();
             w.Key("type"), w.String(type);
             w.Key("loc");
             w.StartArray();
             w.String("body");
             w.String(field);
             w.EndArray();
             w.Key("msg"), w.String(msg);
             w.Key("input");
             input ? w.String(*input) : w.Null();
             w.EndObject();
             w.EndArray();
             w.EndObject();
           }));
}

void yolo_error(Response& res, int status, const Knobs& knobs) {
  if (status == 429 || status == 503) {
    res.headers.emplace_back("Retry-After", retry_after_header(knobs.retry_after_s));
  }
  const char* text = status == 429   ? "Rate limited"
                     : status == 503 ? "model is loading"
                     : status == 500 ? "Server error"
                                     : "simulated failure";
  detail(res, status, text);
}

// multipart/form-data fields by name (file contents included), per RFC 7578.
std::map<std::string, std::string> parse_multipart(const Request& req) {
  std::map<std::string, std::string> fields;
  const std::string type = req.header("content-type");
  auto at = type.find("boundary=");
  if (at == std::string::npos) return fields;
  std::string boundary = type.substr(at + 9);
  boundary = boundary.substr(0, boundary.find(';'));
  if (boundary.size() > 1 && boundary.front() == '"')
    boundary = boundary.substr(1, boundary.size() - 2);
  const std::string delimiter = "--" + boundary;
  const std::string& body = req.body;
  size_t pos = body.find(delimiter);
  while (pos != std::string::npos) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) break;  // the closing delimiter
    const size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) break;
    const std::string head = body.substr(pos, head_end - pos);
    const size_t next = body.find("\r\n" + delimiter, head_end + 4);
    if (next == std::string::npos) break;
    auto name_at = head.find("name=\"");
    if (name_at != std::string::npos) {
      name_at += 6;
      const std::string name = head.substr(name_at, head.find('"', name_at) - name_at);
      fields[name] = body.substr(head_end + 4, next - head_end - 4);
    }
    pos = next + 2;
  }
  return fields;
}

uint32_t be16(std::string_view b, size_t i) {
  return (static_cast<uint8_t>(b[i]) << 8) | static_cast<uint8_t>(b[i + 1]);
}
uint32_t le16(std::string_view b, size_t i) {
  return static_cast<uint8_t>(b[i]) | (static_cast<uint8_t>(b[i + 1]) << 8);
}

// [height, width] of a JPEG, PNG or WebP from its header; nullopt when it is none of them.
std::optional<std::pair<int, int>> image_shape(std::string_view b) {
  if (b.size() > 24 && b.substr(0, 8) == "\x89PNG\r\n\x1A\n") {
    return std::pair<int, int>((be16(b, 20) << 16) | be16(b, 22),
                               (be16(b, 16) << 16) | be16(b, 18));
  }
  if (b.size() > 30 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") {
    if (b.substr(12, 4) == "VP8 ")
      return std::pair<int, int>(le16(b, 28) & 0x3FFF, le16(b, 26) & 0x3FFF);
    return std::pair<int, int>(480, 640);  // VP8L/VP8X: headers we do not read
  }
  if (b.size() > 4 && b.substr(0, 3) == "\xFF\xD8\xFF") {
    for (size_t i = 2; i + 9 < b.size();) {  // walk the segments to a start-of-frame
      if (static_cast<uint8_t>(b[i]) != 0xFF) return std::nullopt;
      const uint8_t marker = static_cast<uint8_t>(b[i + 1]);
      const bool sof =
          marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) return std::pair<int, int>(be16(b, i + 5), be16(b, i + 7));
      i += 2 + be16(b, i + 2);
    }
  }
  return std::nullopt;
}

double round5(double v) { return std::round(v * 1e5) / 1e5; }

struct Params {
  int imgsz = 640;
  double conf = 0.25, iou = 0.45;
};

void detect(std::string_view key, int height, int width, const Params& p, Response& res) {
  uint64_t h = fnv1a(key);
  auto draw = [&h] { return h = fnv1a("x", h); };
  const int count = h % 11 == 0 ? 0 : 1 + static_cast<int>(draw() % 4);
  struct Box {
    int cls;
    double confidence, x1, y1, x2, y2;
  };
  std::vector<Box> boxes;
  for (int i = 0; i < count; ++i) {
    Box box{
        static_cast<int>(draw() % kLabels.size()), 0.30 + (draw() % 6900) / 10000.0, 0, 0, 0, 0};
    const double bw = width * (0.15 + (draw() % 400) / 1000.0);
    const double bh = height * (0.15 + (draw() % 400) / 1000.0);
    box.x1 = round5((width - bw) * ((draw() % 1000) / 1000.0) + (draw() % 1000) / 1000.0);
    box.y1 = round5((height - bh) * ((draw() % 1000) / 1000.0));
    box.x2 = round5(std::min<double>(width, box.x1 + bw));
    box.y2 = round5(std::min<double>(height, box.y1 + bh));
    box.confidence = round5(box.confidence);
    if (box.confidence >= p.conf) boxes.push_back(box);
  }
  std::sort(boxes.begin(), boxes.end(),
            [](const Box& a, const Box& b) { return a.confidence > b.confidence; });
  set_json(res, 200, write_json([&](JsonWriter& w) {
             w.StartObject();
             w.Key("images");
             w.StartArray();
             w.StartObject();
             w.Key("results");
             w.StartArray();
             for (const auto& b : boxes) {
               w.StartObject();
               w.Key("class"), w.Int(b.cls);
               w.Key("name"), w.String(kLabels[static_cast<size_t>(b.cls)]);
               w.Key("confidence"), w.Double(b.confidence);
               w.Key("box");
               w.StartObject();
               w.Key("x1"), w.Double(b.x1);
               w.Key("x2"), w.Double(b.x2);
               w.Key("y1"), w.Double(b.y1);
               w.Key("y2"), w.Double(b.y2);
               w.EndObject();
               w.EndObject();
             }
             w.EndArray();
             w.Key("shape");
             w.StartArray();
             w.Int(height);
             w.Int(width);
             w.EndArray();
             w.Key("speed");
             w.StartObject();
             w.Key("preprocess"), w.Double(1.0 + static_cast<double>(h % 20) / 10);
             w.Key("inference"), w.Double(20.0 + static_cast<double>(h % 300) / 10);
             w.Key("postprocess"), w.Double(0.8);
             w.EndObject();
             w.EndObject();
             w.EndArray();
             w.Key("metadata");
             w.StartObject();
             w.Key("model"), w.String("yolov8n.pt");
             w.Key("imgsz"), w.Int(p.imgsz);
             w.Key("conf"), w.Double(p.conf);
             w.Key("iou"), w.Double(p.iou);
             w.EndObject();
             w.EndObject();
           }));
}

// Reads imgsz, conf and iou (form text or JSON numbers); false with a 422 in `res`.
bool read_params(const std::map<std::string, std::string>& fields, Params& p, Response& res) {
  auto number = [&](const char* name, double& out, bool integer, double lo, double hi) {
    auto it = fields.find(name);
    if (it == fields.end()) return true;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || (integer && v != std::floor(v))) {
      invalid_field(res, integer ? "int_parsing" : "float_parsing", name,
                    integer
                        ? "Input should be a valid integer, unable to parse string as an integer"
                        : "Input should be a valid number, unable to parse string as a number",
                    it->second);
      return false;
    }
    if (v < lo || v > hi) {
      invalid_field(res, v < lo ? "greater_than_equal" : "less_than_equal", name,
                    v < lo ? "Input should be greater than or equal to the minimum"
                           : "Input should be less than or equal to the maximum",
                    it->second);
      return false;
    }
    out = v;
    return true;
  };
  double imgsz = p.imgsz;
  if (!number("imgsz", imgsz, true, 32, 1280) || !number("conf", p.conf, false, 0, 1) ||
      !number("iou", p.iou, false, 0, 1)) {
    return false;
  }
  p.imgsz = static_cast<int>(imgsz);
  return true;
}

void predict(const Request& req, Response& res, const Knobs& knobs) {
  if (!knobs.api_key.empty() && req.header("x-api-key") != knobs.api_key) {
    return detail(res, 401, "Unauthorized");
  }
  std::map<std::string, std::string> fields;
  const bool by_url = req.header("content-type").starts_with("application/json");
  if (by_url) {
    Json doc;
    if (!parse_json(req.body, doc) || !doc.IsObject()) {
      return invalid_field(res, "json_invalid", "url", "JSON decode error", std::nullopt);
    }
    for (const auto& m : doc.GetObject()) {
      fields[m.name.GetString()] = m.value.IsString() ? m.value.GetString() : to_string(m.value);
    }
  } else {
    fields = parse_multipart(req);
  }
  Params params;
  if (!read_params(fields, params, res)) return;
  const char* required = by_url ? "url" : "file";
  auto source = fields.find(required);
  if (source == fields.end()) {
    return invalid_field(res, "missing", required, "Field required", std::nullopt);
  }
  std::string bytes = source->second;
  if (by_url) {
    // Our own image host's files are rendered here; any other URL is not fetched, its
    // detections come from the URL text and the picture is taken to be 640x480.
    const auto at = bytes.find("/images/");
    auto asset = at == std::string::npos ? std::nullopt : render_asset(bytes.substr(at + 8));
    if (!asset) return detect(bytes, 480, 640, params, res);
    bytes = std::move(asset->bytes);
  }
  if (bytes.size() > kMaxFile) return detail(res, 413, "file too large (limit 10 MB)");
  auto shape = image_shape(bytes);
  if (!shape) return detail(res, 400, "invalid image");
  detect(bytes, shape->first, shape->second, params, res);
}

}  // namespace

ServiceDef yolo_service() {
  return {Service::kYolo,
          yolo_error,
          {{"POST", "/v1/predict", false, predict}, {"POST", "/detect", false, predict}}};
}

}  // namespace aiw::sim
