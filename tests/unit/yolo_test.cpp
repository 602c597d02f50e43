// yolo.detect against a local server playing the YOLO service of protocols.md section 3: the
// multipart request, the standard envelope and its variants, filtering, and error kinds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "ai_plugin_test_support.h"
#include "fakes/http_server.h"
#include "fakes/sim/simulator.h"

namespace aiw::testing {
namespace {

using ::testing::HasSubstr;
using Status = engine::JobResult::Status;

// "\x89PNG\r\n\x1A\n" + "\0\0\0\rIHDRpixels", as image.fetch would output it.
const std::string kPngBase64 = "iVBORw0KGgoAAAANSUhEUnBpeGVscw==";

// A PNG header the simulator can read a 64x48 shape from.
const std::string kSimPngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAYAAAA=";

std::string detect_with(const fakes::HttpServer& server, const std::string& extra = "") {
  return "{url: " + json_quoted(server.url()) + ", image: " + json_quoted(kPngBase64) + extra + "}";
}

std::string detect_with(const sim::Simulator& sim, const std::string& extra = "") {
  return "{url: " + json_quoted(sim.url()) + ", image: " + json_quoted(kSimPngBase64) + extra + "}";
}

void answer(fakes::HttpServer& server, int status, const std::string& body,
            std::vector<std::pair<std::string, std::string>> headers = {}) {
  server.route("POST", "/v1/predict", [=](const fakes::Request&, fakes::Response& res) {
    res.status = status;
    res.body = body;
    res.headers = headers;
    res.headers.emplace_back("Content-Type", "application/json");
  });
}

TEST(YoloDetect, SendsMultipartFileWithConfAndFiltersTheHubEnvelope) {
  fakes::HttpServer server;
  fakes::Request seen;
  server.route("POST", "/v1/predict", [&](const fakes::Request& req, fakes::Response& res) {
    seen = req;
    res.body = R"({"images":[{"results":[
        {"class":0,"name":"person","confidence":0.92,"box":{"x1":118,"x2":416,"y1":112,"y2":660}},
        {"class":16,"name":"dog","confidence":0.31,"box":{"x1":1,"x2":2,"y1":3,"y2":4}},
        {"class":0,"name":"person","confidence":0.8,"box":{"x1":5,"x2":6,"y1":7,"y2":8}}],
        "shape":[750,600],"speed":{"preprocess":2.8,"inference":200.8,"postprocess":0.8}}],
        "metadata":{"model":"yolov8n.pt","imgsz":640,"conf":0.5,"iou":0.45}})";
  });
  auto r = run_stage("yolo.detect", detect_with(server, ", min_confidence: 0.5, imgsz: 320, api_key: k1"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_THAT(seen.header("content-type"), HasSubstr("multipart/form-data; boundary="));
  EXPECT_EQ(seen.header("x-api-key"), "k1");
  EXPECT_THAT(seen.body, HasSubstr("name=\"conf\"\r\n\r\n0.5\r\n"));
  EXPECT_THAT(seen.body, HasSubstr("name=\"imgsz\"\r\n\r\n320\r\n"));
  EXPECT_THAT(seen.body, HasSubstr("name=\"file\"; filename=\"image\"\r\nContent-Type: image/png\r\n\r\n"
                                   "\x89PNG\r\n\x1A\n"));
  Json out = parse_output(r);
  ASSERT_EQ(out["count"].GetInt(), 2);
  EXPECT_STREQ(out["detections"][0]["label"].GetString(), "person");
  EXPECT_DOUBLE_EQ(out["detections"][0]["confidence"].GetDouble(), 0.92);
  EXPECT_DOUBLE_EQ(out["detections"][0]["box"]["x2"].GetDouble(), 416);
  ASSERT_EQ(out["labels"].Size(), 1u);
  EXPECT_STREQ(out["labels"][0].GetString(), "person");
}

TEST(YoloDetect, ReadsEveryEnvelopeVariantOfTheProtocol) {
  const std::vector<std::string> bodies = {
      // Ultralytics Platform: class is the name string.
      R"({"success":true,"predictions":[{"class":"cat","confidence":0.9,"box":{"x1":1,"y1":2,"x2":3,"y2":4}}],"image":{"width":10,"height":10}})",
      // Bare summary() list.
      R"([{"name":"cat","class":15,"confidence":0.9,"box":{"x1":1,"y1":2,"x2":3,"y2":4}}])",
      // FastAPI wrapper with label and box array.
      R"({"detections":[{"label":"cat","confidence":0.9,"box":[1,2,3,4]}]})",
      // Column arrays with names.
      R"({"boxes":[[1,2,3,4]],"classes":[15.0],"scores":[0.9],"names":{"15":"cat"}})",
      // YOLOv5 pandas style.
      R"([{"xmin":1,"ymin":2,"xmax":3,"ymax":4,"confidence":0.9,"class":15,"name":"cat"}])",
  };
  for (const std::string& body : bodies) {
    fakes::HttpServer server;
    answer(server, 200, body);
    auto r = run_stage("yolo.detect", detect_with(server));
    ASSERT_EQ(r.status, Status::kCompleted) << body << "\n" << r.error;
    Json out = parse_output(r);
    ASSERT_EQ(out["count"].GetInt(), 1) << body;
    EXPECT_STREQ(out["detections"][0]["label"].GetString(), "cat") << body;
    EXPECT_DOUBLE_EQ(out["detections"][0]["box"]["y1"].GetDouble(), 2) << body;
    EXPECT_DOUBLE_EQ(out["detections"][0]["box"]["x2"].GetDouble(), 3) << body;
  }
}

TEST(YoloDetect, NoDetectionsIsAnEmptyListNotAnError) {
  fakes::HttpServer server;
  answer(server, 200, R"({"images":[{"results":[],"shape":[10,10]}]})");
  auto r = run_stage("yolo.detect", detect_with(server));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(parse_output(r)["count"].GetInt(), 0);
  EXPECT_EQ(parse_output(r)["labels"].Size(), 0u);
}

TEST(YoloDetect, ImageUrlIsSentAsJsonAndBaseUrlSlashIsTolerated) {
  fakes::HttpServer server;
  std::string body;
  server.route("POST", "/detect", [&](const fakes::Request& req, fakes::Response& res) {
    body = req.body;
    res.body = "[]";
  });
  // A trailing slash on the base URL must not make "//detect".
  auto r = run_stage("yolo.detect", "{url: " + json_quoted(server.url("/")) +
                                        R"(, path: /detect, image_url: "https://cdn.example/a.jpg", min_confidence: 0.3})");
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json sent = parse_body(body);
  EXPECT_STREQ(sent["url"].GetString(), "https://cdn.example/a.jpg");
  EXPECT_DOUBLE_EQ(sent["conf"].GetDouble(), 0.3);
}

TEST(YoloDetect, ImageUrlThatIsPlainHttpOrALiteralNonPublicAddressIsRefusedBeforeSending) {
  struct Case {
    std::string url, error;
  };
  const std::vector<Case> cases = {
      {"http://cdn.example/a.jpg", "uses plain http; only https is allowed"},
      {"https://10.0.0.1/a.jpg", "image_url points to 10.0.0.1, a private address"},
      {"https://127.0.0.1:8080/a.jpg?sig=1", "127.0.0.1, a loopback address"},
      {"https://[::1]/a.jpg", "::1, a loopback address"},
      {"https://169.254.169.254/latest/meta-data/", "the cloud metadata address"},
      {"https://[64:ff9b::a9fe:a9fe]/a.jpg", "the cloud metadata address inside a NAT64 address"},
      {"https://2130706433/a.jpg", "yolo.detect: image_url"},  // 127.0.0.1 in another notation
      {"https://user:pw@cdn.example/a.jpg", "holds credentials"},
      {"ftp://cdn.example/a.jpg", "is not an absolute http(s) URL"},
  };
  for (const Case& c : cases) {
    fakes::HttpServer server;
    answer(server, 200, "[]");
    auto r = run_stage("yolo.detect", "{url: " + json_quoted(server.url()) +
                                          ", image_url: " + json_quoted(c.url) + "}");
    ASSERT_EQ(r.status, Status::kFailed) << c.url;
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent) << c.url;
    EXPECT_THAT(r.error, HasSubstr(c.error)) << c.url;
    EXPECT_EQ(server.requests_received(), 0u) << c.url;
  }
}

TEST(YoloDetect, ImageUrlOnAnAllowListedHostOrNetworkIsSent) {
  fakes::HttpServer server;
  std::vector<std::string> sent;
  server.route("POST", "/v1/predict", [&](const fakes::Request& req, fakes::Response& res) {
    sent.push_back(parse_body(req.body)["url"].GetString());
    res.body = "[]";
  });
  const std::string service = json_quoted(server.url());
  auto minio = run_stage("yolo.detect", "{url: " + service +
                                            R"(, image_url: "http://minio:9000/b/a.jpg", http_hosts: ["MinIO, other"]})");
  EXPECT_EQ(minio.status, Status::kCompleted) << minio.error;
  auto internal = run_stage("yolo.detect", "{url: " + service +
                                               R"(, image_url: "https://10.20.1.2/a.jpg", allow_networks: ["10.20.0.0/16"]})");
  EXPECT_EQ(internal.status, Status::kCompleted) << internal.error;
  EXPECT_EQ(sent, (std::vector<std::string>{"http://minio:9000/b/a.jpg", "https://10.20.1.2/a.jpg"}));
}

TEST(YoloDetect, ImageUrlOfTheSimulatorsImageHostIsDetectedWhenAllowListed) {
  sim::Simulator sim;
  auto r = run_stage("yolo.detect", "{url: " + json_quoted(sim.url()) + ", image_url: " +
                                        json_quoted(sim.url("/images/meal.jpg")) +
                                        R"(, http_hosts: ["127.0.0.1"], allow_networks: ["127.0.0.0/8"]})");
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
}

TEST(YoloDetect, ErrorsAreTypedAndCarryTheServiceDetail) {
  {
    fakes::HttpServer server;
    answer(server, 422, R"({"detail":[{"type":"missing","loc":["body","file"],"msg":"Field required","input":null}]})");
    auto r = run_stage("yolo.detect", detect_with(server));
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
    EXPECT_THAT(r.error, HasSubstr("HTTP 422: file: Field required"));
  }
  {
    fakes::HttpServer server;
    answer(server, 400, R"({"detail":"invalid image"})");
    auto r = run_stage("yolo.detect", detect_with(server));
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
    EXPECT_THAT(r.error, HasSubstr("invalid image"));
  }
  {
    fakes::HttpServer server;
    answer(server, 503, R"({"detail":"model loading"})", {{"Retry-After", "5"}});
    auto r = run_stage("yolo.detect", detect_with(server));
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
    EXPECT_EQ(r.retry_after_ms, 5000);
  }
  {
    fakes::HttpServer server;
    answer(server, 500, R"({"detail":"Server error"})");
    auto r = run_stage("yolo.detect", detect_with(server));
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  }
}

TEST(YoloDetect, SimulatorAnswersTheImageWithTheHubEnvelope) {
  sim::Simulator sim;
  auto r = run_stage("yolo.detect", detect_with(sim, ", min_confidence: 0"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
}

TEST(YoloDetect, TwoHundredWithABodyThatIsNotJsonIsRetryable) {
  sim::Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"yolo":{"malformed":true}})", error)) << error;
  auto r = run_stage("yolo.detect", detect_with(sim));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("HTTP 200 with a body that is not JSON"));
}

TEST(YoloDetect, JsonWithoutADetectionListStaysPermanent) {
  fakes::HttpServer server;
  answer(server, 200, R"({"status":"ok"})");
  auto r = run_stage("yolo.detect", detect_with(server));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("holds no detection list"));
}

TEST(YoloDetect, ColumnArraysWithANonNumberScoreOrClassArePermanentAndNameTheField) {
  struct Case {
    std::string body, field;
  };
  for (const Case& c : {Case{R"({"boxes":[[1,2,3,4],[1,2,3,4]],"classes":[0,1],"scores":[0.9,"high"]})",
                             "scores[1] is not a number"},
                        Case{R"({"boxes":[[1,2,3,4]],"classes":[null],"scores":[0.9]})",
                             "classes[0] is neither a number nor a name"}}) {
    fakes::HttpServer server;
    answer(server, 200, c.body);
    auto r = run_stage("yolo.detect", detect_with(server));
    ASSERT_EQ(r.status, Status::kFailed) << c.body;
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent) << c.body;
    EXPECT_THAT(r.error, HasSubstr("detection list is unreadable: " + c.field));
  }
}

TEST(YoloDetect, RateLimitIsRetryableWithRetryAfterInSecondsOrAsAnHttpDate) {
  {
    sim::Simulator sim;
    std::string error;
    ASSERT_TRUE(sim.configure_json(R"({"yolo":{"fail_status":429,"retry_after_s":4}})", error)) << error;
    auto r = run_stage("yolo.detect", detect_with(sim));
    ASSERT_EQ(r.status, Status::kFailed);
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
    EXPECT_THAT(r.error, HasSubstr("HTTP 429: Rate limited"));
    EXPECT_EQ(r.retry_after_ms, 4000);
  }
  {
    const std::string date = http_date_in(60);
    fakes::HttpServer server;
    answer(server, 429, R"({"detail":"Rate limited"})", {{"Retry-After", date}});
    auto r = run_stage("yolo.detect", detect_with(server));
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
    EXPECT_LE(r.retry_after_ms, 60000) << date;
    EXPECT_GE(r.retry_after_ms, 30000) << date;  // unless this test took half a minute
  }
}

TEST(YoloDetect, ServiceThatNeverAnswersIsARetryableTimeout) {
  sim::Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"yolo":{"hang":true}})", error)) << error;
  auto r = run_stage("yolo.detect", detect_with(sim, ", timeout_ms: 200"));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("no complete response within 200 ms"));
}

TEST(YoloDetect, RefusedConnectionIsRetryable) {
  sim::Simulator sim;
  std::string with = detect_with(sim);
  sim.stop();  // nothing listens on its port any more
  auto r = run_stage("yolo.detect", with);
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("refused"));
}

TEST(YoloDetect, BodyCutShortOfItsContentLengthIsRetryable) {
  sim::Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"yolo":{"truncate":true}})", error)) << error;
  auto r = run_stage("yolo.detect", detect_with(sim));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("failed during the exchange"));
}

TEST(YoloDetect, ImageThatIsNotBase64IsPermanent) {
  fakes::HttpServer server;
  auto r = run_stage("yolo.detect", "{url: " + json_quoted(server.url()) + R"(, image: "not base64!"})");
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_EQ(server.requests_received(), 0u);
}

}  // namespace
}  // namespace aiw::testing
