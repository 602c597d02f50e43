// The YOLO simulator against docs/protocols.md 3.1 (HUB v1 envelope) and 3.3 (errors).
#include <gtest/gtest.h>

#include <set>

#include "fakes/sim/simulator.h"
#include "sim_test_support.h"

namespace aiw::sim {
namespace {

using testing::http;
using testing::multipart;
using testing::parse;

testing::HttpResult upload(const Simulator& sim, const std::map<std::string, std::string>& fields,
                           const std::string& path = "/v1/predict") {
  std::string content_type;
  const std::string body = multipart(fields, content_type);
  return http("POST", sim.url(path), body, {{content_type}});
}

TEST(SimYolo, MultipartImageGetsTheHubEnvelopeFieldByField) {
  Simulator sim;
  const std::string jpeg = http("GET", sim.url("/images/meal.jpg")).body;
  auto r = upload(sim, {{"file", jpeg}, {"conf", "0.3"}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json v = parse(r.body);
  const auto& image = v["images"][0];
  EXPECT_EQ(image["shape"][0].GetInt(), 48);  // [height, width]
  EXPECT_EQ(image["shape"][1].GetInt(), 64);
  for (const char* phase : {"preprocess", "inference", "postprocess"}) {
    EXPECT_TRUE(image["speed"][phase].IsNumber()) << phase;
  }
  const std::set<std::string> labels = {"rice",   "beans",   "chicken", "beef",   "egg",   "bread",
                                        "banana", "lettuce", "tomato",  "potato", "plate", "cup"};
  ASSERT_TRUE(image["results"].IsArray());
  for (const auto& d : image["results"].GetArray()) {
    EXPECT_TRUE(d["class"].IsInt());
    EXPECT_TRUE(labels.count(d["name"].GetString())) << d["name"].GetString();
    EXPECT_GE(d["confidence"].GetDouble(), 0.3);
    EXPECT_LE(d["confidence"].GetDouble(), 1.0);
    const auto& box = d["box"];
    EXPECT_LE(0, box["x1"].GetDouble());
    EXPECT_LT(box["x1"].GetDouble(), box["x2"].GetDouble());
    EXPECT_LE(box["x2"].GetDouble(), 64);
    EXPECT_LT(box["y1"].GetDouble(), box["y2"].GetDouble());
    EXPECT_LE(box["y2"].GetDouble(), 48);
  }
  EXPECT_STREQ(v["metadata"]["model"].GetString(), "yolov8n.pt");
  EXPECT_EQ(v["metadata"]["imgsz"].GetInt(), 640);
  EXPECT_DOUBLE_EQ(v["metadata"]["conf"].GetDouble(), 0.3);
  EXPECT_DOUBLE_EQ(v["metadata"]["iou"].GetDouble(), 0.45);
}

TEST(SimYolo, DetectionsAreAFunctionOfTheImageBytes) {
  Simulator sim;
  const std::string a = http("GET", sim.url("/images/a.png")).body;
  const std::string b = http("GET", sim.url("/images/b.png")).body;
  EXPECT_EQ(upload(sim, {{"file", a}}).body, upload(sim, {{"file", a}}, "/detect").body);
  bool some_differ = false;
  for (const char* name : {"b.png", "c.png", "d.png", "e.png"}) {
    some_differ |=
        upload(sim, {{"file", a}}).body !=
        upload(sim, {{"file", http("GET", sim.url(std::string("/images/") + name)).body}}).body;
  }
  EXPECT_TRUE(some_differ);
}

TEST(SimYolo, UrlRequestsToTheImageHostAreAnalysedLocally) {
  Simulator sim;
  auto r = testing::post_json(sim.url("/v1/predict"),
                              R"({"url":")" + sim.url("/images/dinner.jpg") + R"(","conf":0.25})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)["images"][0]["shape"][1].GetInt(), 64);
}

TEST(SimYolo, ErrorsUseFastApiShapes) {
  Simulator sim;
  auto r = upload(sim, {{"conf", "0.5"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(
      r.body,
      R"({"detail":[{"type":"missing","loc":["body","file"],"msg":"Field required","input":null}]})");

  r = upload(sim, {{"file", "this is not a picture"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"detail":"invalid image"})");

  r = upload(sim, {{"file", std::string(11u << 20, '\xFF')}});
  EXPECT_EQ(r.status, 413);

  r = upload(sim, {{"file", "x"}, {"conf", "high"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_STREQ(parse(r.body)["detail"][0]["type"].GetString(), "float_parsing");

  r = upload(sim, {{"file", "x"}, {"imgsz", "4096"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_STREQ(parse(r.body)["detail"][0]["loc"][1].GetString(), "imgsz");
}

TEST(SimYolo, ApiKeyAndLoadingKnobs) {
  Simulator sim;
  const std::string jpeg = http("GET", sim.url("/images/meal.jpg")).body;
  auto knobs = sim.knobs(Service::kYolo);
  knobs.api_key = "k1";
  sim.configure(Service::kYolo, knobs);
  EXPECT_EQ(upload(sim, {{"file", jpeg}}).status, 401);
  std::string content_type;
  const std::string body = multipart({{"file", jpeg}}, content_type);
  EXPECT_EQ(http("POST", sim.url("/v1/predict"), body, {{content_type, "x-api-key: k1"}}).status,
            200);

  knobs.fail_status = 503;
  knobs.retry_after_s = 3;
  sim.configure(Service::kYolo, knobs);
  auto r = upload(sim, {{"file", jpeg}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "3");
  EXPECT_TRUE(parse(r.body)["detail"].IsString());
}

}  // namespace
}  // namespace aiw::sim
