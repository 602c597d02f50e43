#include <aiw/plugin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "detections.h"
#include "image_url.h"
#include "request.h"
#include "common/address_lists.h"
#include "common/retry_after.h"

namespace yolo {
namespace {

using std::chrono::milliseconds;

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// FastAPI's {"detail":"text"} or Pydantic's {"detail":[{"loc":[..],"msg":".."}]}: the sentence
// the service gave, so the error says what it disliked.
std::string detail_of(std::string_view body) {
  aiw::Json doc;
  if (!aiw::parse_json(body, doc)) return std::string(body.substr(0, 200));
  const aiw::JsonValue* detail = aiw::find_member(doc, "detail");
  if (!detail) detail = aiw::find_member(doc, "error");
  if (!detail && doc.IsObject()) detail = aiw::find_member(doc, "message");
  if (detail && detail->IsString()) return detail->GetString();
  std::string out;
  if (detail && detail->IsArray()) {
    for (const auto& item : detail->GetArray()) {
      const aiw::JsonValue* msg = aiw::find_member(item, "msg");
      const aiw::JsonValue* loc = aiw::find_member(item, "loc");
      if (!out.empty()) out += "; ";
      if (loc && loc->IsArray() && !loc->Empty() && loc->GetArray()[loc->Size() - 1].IsString())
        out += std::string(loc->GetArray()[loc->Size() - 1].GetString()) + ": ";
      if (msg && msg->IsString()) out += msg->GetString();
    }
  }
  return out.empty() ? std::string(body.substr(0, 200)) : out;
}

}  // namespace

// yolo.detect: object detection by a YOLO HTTP service (YOLO_URL). Sends the image as
// multipart/form-data `file` with `conf` (and `imgsz`, `iou` when given) to `url` + `path`, the
// shape protocols.md 3.1 standardises; or, with `image_url` instead of `image`, the JSON
// {"url","conf"} form. Reads the HUB envelope and the variants of 3.2 (Platform
// `predictions`, FastAPI `detections`, a bare list, column arrays, YOLOv5 xmin..ymax).
// Options:
//   url             string, required: the service's base URL (e.g. ${env.YOLO_URL})
//   path            string, optional ("/v1/predict"); "" when url is the full endpoint
//   image           string: the image as base64 (e.g. ${stages.fetch.output.base64})
//   image_url       string: a URL the service fetches itself (one of image / image_url).
//                   The service has no SSRF guard, so it must be https (plain http only for
//                   hosts in http_hosts) and a literal IP host must be public unless its
//                   network is in allow_networks; host names are resolved by the service,
//                   unchecked, so prefer image.fetch + `image` for URLs users give.
//   http_hosts, allow_networks  as in image.fetch, for image_url only
//   min_confidence  number 0..1, optional (0.25): sent as `conf`, and applied again here
//   imgsz, iou      optional, passed through
//   api_key         string, optional: sent as x-api-key
//   timeout_ms      integer >= 1, optional (30000)
// Output {"detections":[{"label","confidence","box":{"x1","y1","x2","y2"}}], "labels":[unique
// labels, in order of first appearance], "count"}; `box` is absent for classification models.
// Errors: 5xx, 408, timeouts, connection failures and 429/503 (with Retry-After) are
// retryable, and so is a 200 whose body is not JSON (cut or mangled on the way); other 4xx
// (e.g. 400 invalid image, 422 missing field) and JSON with no readable detection list are
// permanent.
//
//   - id: detect
//     uses: yolo.detect
//     needs: [fetch]
//     with:
//       url: "${env.YOLO_URL}"
//       image: "${stages.fetch.output.base64}"
//       min_confidence: 0.4
//       timeout_ms: 10000
class Detect : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "yolo.detect", "1.0.0", "Detects objects in an image with a YOLO HTTP service.",
      R"({"type":"object","properties":{"url":{"type":"string","minLength":1},)"
      R"("path":{"type":"string"},"image":{"type":"string","minLength":1},)"
      R"("image_url":{"type":"string","minLength":1},)"
      R"("min_confidence":{"type":"number","minimum":0,"maximum":1},)"
      R"("imgsz":{"type":"integer","minimum":32,"maximum":1280},)"
      R"("iou":{"type":"number","minimum":0,"maximum":1},)"
      R"("api_key":{"type":"string"},"timeout_ms":{"type":"integer","minimum":1},)"
      R"("http_hosts":{"type":"array","items":{"type":"string"}},)"
      R"("allow_networks":{"type":"array","items":{"type":"string"}}},)"
      R"("required":["url"],"anyOf":[{"required":["image"]},{"required":["image_url"]}],)"
      R"("additionalProperties":false})",
      R"({"type":"object","properties":{"detections":{"type":"array","items":{"type":"object",)"
      R"("properties":{"label":{"type":"string"},"confidence":{"type":"number"},)"
      R"("box":{"type":"object"}},"required":["label","confidence"]}},)"
      R"("labels":{"type":"array","items":{"type":"string"}},"count":{"type":"integer"}},)"
      R"("required":["detections","labels","count"]})"};

  void run(aiw::Call call, const aiw::Json& params) override {
    double min_confidence = 0.25;
    if (const auto* v = aiw::find_member(params, "min_confidence")) min_confidence = v->GetDouble();
    aiw::HttpRequest r;
    r.method = "POST";
    std::string path = "/v1/predict";
    if (const auto* v = aiw::find_member(params, "path")) path = v->GetString();
    std::string base = params["url"].GetString();
    while (!base.empty() && base.back() == '/' && !path.empty()) base.pop_back();  // no "//v1"
    r.url = base + path;
    r.timeout = milliseconds(30000);
    if (const auto* v = aiw::find_member(params, "timeout_ms")) r.timeout = milliseconds(v->GetInt64());
    if (const auto* v = aiw::find_member(params, "api_key")) r.headers.emplace_back("x-api-key", v->GetString());
    std::vector<std::pair<std::string, std::string>> fields{{"conf", number_text(min_confidence)}};
    if (const auto* v = aiw::find_member(params, "imgsz")) fields.emplace_back("imgsz", std::to_string(v->GetInt()));
    if (const auto* v = aiw::find_member(params, "iou")) fields.emplace_back("iou", number_text(v->GetDouble()));
    if (const auto* image = aiw::find_member(params, "image")) {
      std::optional<std::string> bytes = decode_base64(image->GetString());
      if (!bytes || bytes->empty()) {
        call.fail_permanent("yolo.detect: `image` is not base64 image data");
        return;
      }
      Multipart m = multipart(fields, *bytes, sniff_mime(*bytes));
      r.headers.emplace_back("Content-Type", m.content_type);
      r.body = std::move(m.body);
    } else {
      std::string image_url = params["image_url"].GetString();
      if (auto problem = image_url_problem(image_url, aiw::plugin_common::address_lists(params))) {
        call.fail_permanent(*problem);
        return;
      }
      aiw::Json body(rapidjson::kObjectType);
      body.AddMember("url", aiw::JsonValue(image_url.c_str(), body.GetAllocator()),
                     body.GetAllocator());
      body.AddMember("conf", min_confidence, body.GetAllocator());
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = aiw::to_string(body);
    }
    call.http(r, [min_confidence](aiw::Call c, const aiw::HttpResponse& resp) {
      on_response(c, min_confidence, resp);
    });
  }

 private:
  static void on_response(aiw::Call call, double min_confidence, const aiw::HttpResponse& r) {
    switch (r.outcome) {
      case AIW_HTTP_OK: break;
      case AIW_HTTP_CANCELLED: return;  // the host already ended the call
      case AIW_HTTP_TIMEOUT:
      case AIW_HTTP_CONNECT:
        call.fail_retryable("the YOLO service is unreachable: " + std::string(r.error));
        return;
      default:
        call.fail_permanent("the YOLO request failed: " + std::string(r.error));
        return;
    }
    std::string answered = "the YOLO service answered HTTP " + std::to_string(r.status);
    if (r.status == 429 || r.status == 503) {
      call.fail_retryable(answered + ": " + detail_of(r.body),
                          aiw::plugin_common::retry_after(r.header("retry-after")));
      return;
    }
    if (r.status >= 500 || r.status == 408) {
      call.fail_retryable(answered + ": " + detail_of(r.body));
      return;
    }
    if (r.status < 200 || r.status >= 300) {
      call.fail_permanent(answered + ": " + detail_of(r.body));
      return;
    }
    aiw::Json body;
    if (!aiw::parse_json(r.body, body)) {
      // A 200 that is not JSON at all was cut or mangled on the way (a proxy, a worker that
      // crashed mid-answer): the next attempt is likely to read well.
      call.fail_retryable("the YOLO service answered HTTP 200 with a body that is not JSON: " +
                          std::string(r.body.substr(0, 120)));
      return;
    }
    std::string problem;
    std::optional<std::vector<Detection>> found = parse_detections(body, problem);
    if (!found && !problem.empty()) {
      call.fail_permanent("the YOLO service's detection list is unreadable: " + problem);
      return;
    }
    if (!found) {
      // Valid JSON in a shape we do not know is the service's design, not a fault: retrying
      // gives the same answer.
      call.fail_permanent("the YOLO service's answer holds no detection list this stage can read "
                          "(expected images[0].results, predictions, detections or a list)");
      return;
    }
    call.complete(output(*found, min_confidence));
  }

  static aiw::Json output(const std::vector<Detection>& found, double min_confidence) {
    aiw::Json out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    aiw::JsonValue detections(rapidjson::kArrayType), labels(rapidjson::kArrayType);
    std::vector<std::string> seen;
    for (const Detection& d : found) {
      if (d.confidence < min_confidence) continue;
      aiw::JsonValue item(rapidjson::kObjectType);
      item.AddMember("label", aiw::JsonValue(d.label.c_str(), a), a);
      item.AddMember("confidence", d.confidence, a);
      if (d.box) {
        aiw::JsonValue box(rapidjson::kObjectType);
        box.AddMember("x1", d.box->x1, a).AddMember("y1", d.box->y1, a);
        box.AddMember("x2", d.box->x2, a).AddMember("y2", d.box->y2, a);
        item.AddMember("box", box, a);
      }
      detections.PushBack(item, a);
      if (std::find(seen.begin(), seen.end(), d.label) == seen.end()) {
        seen.push_back(d.label);
        labels.PushBack(aiw::JsonValue(d.label.c_str(), a), a);
      }
    }
    out.AddMember("count", detections.Size(), a);
    out.AddMember("detections", detections, a);
    out.AddMember("labels", labels, a);
    return out;
  }
};
AIW_REGISTER_STAGE(Detect);

}  // namespace yolo
