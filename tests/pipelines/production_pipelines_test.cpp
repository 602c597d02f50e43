// Proves docs/pipelines.md "Production pipelines": each of pipelines/*.yaml passes
// `aiw validate`, runs end to end through the engine and the real plugins against the AI
// simulator (Ollama, Gemini, YOLO, image host on one loopback port) and, where it persists, a
// real PostgreSQL; and sofia_image's failure paths each end the way the docs say.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/http_server.h"
#include "fakes/sim/simulator.h"
#include "pipeline_test_support.h"
#include "support/process.h"
#include "support/webhook_signature.h"

namespace aiw::testing {
namespace {

using engine::ErrorKind;
using engine::JobResult;
using sim::Service;

constexpr const char* kUser = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
const std::vector<std::string> kPipelines = {"sofia_image",       "sofia_text", "medical_exam",
                                             "unified_assistant", "meal_plan",  "whatsapp_message"};

class ProductionPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_url_ = database_with_pipeline_tables();
    receiver_.route("POST", "/whatsapp/reply",
                    [this](const fakes::Request& req, fakes::Response& res) {
                      std::lock_guard lock(mu_);
                      deliveries_.push_back(req);
                      res.status = 200;
                      res.body = "{}";
                    });
    // Env is read when a pipeline loads: set before engine_for(). The fetch allow-lists are
    // the tests' opt-in to loopback; 10.0.0.1 and the metadata address are listed as http
    // hosts so that the address check, not the scheme, is what refuses them.
    set("OLLAMA_URL", sim_.url());
    set("YOLO_URL", sim_.url());
    set("GEMINI_URL", sim_.url());
    set("GEMINI_API_KEY", "test-key");
    set("DATABASE_URL", db_url_);
    set("AIW_FETCH_HTTP_HOSTS", "127.0.0.1,10.0.0.1,169.254.169.254");
    set("AIW_FETCH_ALLOW_NETWORKS", "127.0.0.0/8");
    set("AIW_PIPELINE_DIR", source_path("pipelines"));
    set("WEBHOOK_SECRET", "test-secret");
    set("WHATSAPP_REPLY_URL", receiver_.url("/whatsapp/reply"));
  }

  static void set(const char* name, const std::string& value) { setenv(name, value.c_str(), 1); }

  std::unique_ptr<engine::Engine> engine_for(const std::string& name) {
    return engine_from_file(source_path("pipelines/" + name + ".yaml"));
  }

  JobResult run(engine::Engine& engine, const std::string& input,
                const std::string& id = new_job_id()) {
    return run_job(engine, input, id, kUser);  // the job's owner, as the worker passes it
  }

  std::string image_input(const std::string& url) {
    return std::string(R"({"userId":")") + kUser + R"(","imageUrl":")" + url +
           R"(","mealType":"lunch"})";
  }

  // A JobResult's stage ids point into its engine's pipeline spec (see job_result.h), so the
  // engine that ran the job lives as long as the fixture.
  JobResult run_sofia_image(const std::string& url) {
    auto engine = engine_for("sofia_image");
    if (!engine) return {};
    JobResult result = run(*engine, image_input(url));
    finished_engines_.push_back(std::move(engine));
    return result;
  }

  sim::Simulator sim_;
  fakes::HttpServer receiver_;
  std::string db_url_;
  std::mutex mu_;
  std::vector<fakes::Request> deliveries_;
  std::vector<std::unique_ptr<engine::Engine>> finished_engines_;  // destroyed first
};

Json output_of(const JobResult& r) {
  Json doc;
  EXPECT_TRUE(parse_json(r.result_json, doc)) << r.result_json;
  return doc;
}

// kcal per 100 g of a food in pipelines/data/taco.csv (its name quoted, as the file writes
// names with commas), read independently of the nutrition plugin; -1 when absent.
double taco_kcal_per_100g(const std::string& food) {
  std::string text = read_text(source_path("pipelines/data/taco.csv"));
  std::string start = "\n\"" + food + "\",";
  size_t at = text.find(start);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + start.size()));
}

// Every item's kcal is its food's TACO kcal for its grams, and the totals add up the items.
// Item numbers are rounded to 0.1 and totals summed before rounding: each item may differ by 0.05.
void expect_items_match_the_table_and_add_up(const JsonValue& items, const JsonValue& totals,
                                             const std::string& json) {
  ASSERT_TRUE(items.IsArray()) << json;
  ASSERT_GT(items.Size(), 0u) << json;
  double kcal = 0, protein = 0;
  for (const JsonValue& item : items.GetArray()) {
    double per_100g = taco_kcal_per_100g(item["matched"].GetString());
    ASSERT_GT(per_100g, 0) << item["matched"].GetString();
    EXPECT_NEAR(item["kcal"].GetDouble(), per_100g * item["grams"].GetDouble() / 100, 0.051)
        << json;
    kcal += item["kcal"].GetDouble();
    protein += item["protein"].GetDouble();
  }
  const double slack = 0.051 * items.Size() + 0.051;
  EXPECT_GT(totals["kcal"].GetDouble(), 0) << json;
  EXPECT_NEAR(totals["kcal"].GetDouble(), kcal, slack) << json;
  EXPECT_NEAR(totals["protein"].GetDouble(), protein, slack) << json;
}

// ---- aiw validate -----------------------------------------------------------------------

TEST_F(ProductionPipelineTest, EveryPipelinePassesAiwValidate) {
  std::vector<std::string> argv{AIW_BINARY, "validate"};
  for (const auto& name : kPipelines) argv.push_back(source_path("pipelines/" + name + ".yaml"));
  // Only what has no default must be set (DATABASE_URL, WEBHOOK_SECRET, WHATSAPP_REPLY_URL);
  // the service URLs fall back to their defaults.
  test::ProcessResult r = test::run_process(argv,
                                            {{"AIW_PLUGIN_PATH", AIW_BUILD_PLUGIN_DIR},
                                             {"DATABASE_URL", "postgresql://localhost/aiw"},
                                             {"WEBHOOK_SECRET", "x"},
                                             {"WHATSAPP_REPLY_URL", "https://example.com/reply"},
                                             {"OLLAMA_URL", std::nullopt},
                                             {"YOLO_URL", std::nullopt},
                                             {"GEMINI_URL", std::nullopt},
                                             {"GEMINI_API_KEY", std::nullopt},
                                             {"AIW_PIPELINE_DIR", source_path("pipelines")}},
                                            std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const auto& name : kPipelines)
    EXPECT_NE(r.out.find(name + ".yaml: ok"), std::string::npos) << r.out;
}

TEST_F(ProductionPipelineTest, EachPipelineIsNamedAfterItsJobType) {
  for (const auto& name : kPipelines) {
    auto loaded = pipeline::load_pipeline_file(source_path("pipelines/" + name + ".yaml"),
                                               testkit_registry());
    ASSERT_TRUE(loaded.ok()) << name;
    EXPECT_EQ(loaded.spec->name, name);
  }
}

// ---- each pipeline end to end -------------------------------------------------------------

TEST_F(ProductionPipelineTest, SofiaImageAnalysesAPhotoAndSavesOneRow) {
  auto engine = engine_for("sofia_image");
  ASSERT_TRUE(engine);
  std::string id = new_job_id();
  JobResult r = run(*engine, image_input(sim_.url("/images/lunch.jpg")), id);
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  Json out = output_of(r);
  EXPECT_GT(out["foods"].Size(), 0u) << r.result_json;
  EXPECT_GT(out["totals"]["kcal"].GetDouble(), 0.0) << r.result_json;
  EXPECT_STREQ(out["provider"].GetString(), "ollama");
  EXPECT_TRUE(out["saved"].GetBool());
  EXPECT_EQ(query_one(db_url_, "select count(*) from meal_analyses"), "1");
  EXPECT_EQ(
      query_one(
          db_url_,
          "select (user_id::text = '" + std::string(kUser) +
              "' and jsonb_array_length(foods) > 0 and kcal > 0 and meal_type = 'lunch')::text "
              "from meal_analyses where job_id = '" +
              id + "'"),
      "true");
  // The queue retries a job after a later failure: the same job id writes nothing again.
  JobResult again = run(*engine, image_input(sim_.url("/images/lunch.jpg")), id);
  ASSERT_EQ(again.status, JobResult::Status::kCompleted) << describe(again);
  EXPECT_FALSE(output_of(again)["saved"].GetBool());
  EXPECT_EQ(query_one(db_url_, "select count(*) from meal_analyses"), "1");
}

// The input's userId is whatever the client sent; the row belongs to the job's owner (the
// analysis_jobs row's user_id, from the token), so no user can save rows under another's id.
TEST_F(ProductionPipelineTest, ARowIsSavedUnderTheJobsOwnerNotTheUserIdTheInputClaims) {
  auto engine = engine_for("sofia_image");
  ASSERT_TRUE(engine);
  const std::string someone_else = "0b3d5f7a-1c2e-4a6b-8d0f-2e4c6a8b0d1f";
  const std::string id = new_job_id();
  JobResult r = run_job(*engine,
                        R"({"userId":")" + someone_else + R"(","imageUrl":")" +
                            sim_.url("/images/lunch.jpg") + R"("})",
                        id, kUser);
  finished_engines_.push_back(std::move(engine));
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  EXPECT_EQ(query_one(db_url_, "select user_id::text from meal_analyses where job_id = '" + id + "'"),
            kUser);
}

TEST_F(ProductionPipelineTest, SofiaTextAnswersAndTotalsTheFoodsMentioned) {
  auto engine = engine_for("sofia_text");
  ASSERT_TRUE(engine);
  JobResult r =
      run(*engine,
          std::string(R"({"userId":")") + kUser +
              R"(","message":"Comi arroz e feijão no almoço, quantas calorias?","language":"pt"})");
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  Json out = output_of(r);
  EXPECT_TRUE(out["reply"].IsString());
  // The simulator names TACO foods: each is found as written and counted.
  ASSERT_TRUE(out["unknown"].IsArray()) << r.result_json;
  EXPECT_EQ(out["unknown"].Size(), 0u) << r.result_json;
  expect_items_match_the_table_and_add_up(out["foods"], out["totals"], r.result_json);
  // Whole TACO names: nothing taken on its first word alone.
  for (const JsonValue& food : out["foods"].GetArray())
    EXPECT_STREQ(food["match"].GetString(), "exact") << r.result_json;
  ASSERT_TRUE(out["assumed"].IsArray()) << r.result_json;
  EXPECT_EQ(out["assumed"].Size(), 0u) << r.result_json;
}

TEST_F(ProductionPipelineTest, MedicalExamReadsValuesWithUnitsAndSavesThem) {
  auto engine = engine_for("medical_exam");
  ASSERT_TRUE(engine);
  std::string id = new_job_id();
  JobResult r = run(*engine,
                    std::string(R"({"userId":")") + kUser + R"(","documentUrl":")" +
                        sim_.url("/images/hemograma.png") + R"(","examType":"blood"})",
                    id);
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  Json out = output_of(r);
  ASSERT_TRUE(out["values"].IsArray()) << r.result_json;
  ASSERT_GT(out["values"].Size(), 0u);
  for (const JsonValue& v : out["values"].GetArray()) {
    EXPECT_TRUE(v["unit"].IsString()) << r.result_json;
    ASSERT_TRUE(v["value"].IsNumber()) << r.result_json;
    ASSERT_TRUE(v["reference_min"].IsNumber()) << r.result_json;
    ASSERT_TRUE(v["reference_max"].IsNumber()) << r.result_json;
    EXPECT_LE(v["reference_min"].GetDouble(), v["value"].GetDouble()) << r.result_json;
    EXPECT_LE(v["value"].GetDouble(), v["reference_max"].GetDouble()) << r.result_json;
    EXPECT_STREQ(v["flag"].GetString(), "normal");  // inside its range
    EXPECT_TRUE(v.HasMember("reference_text") && v["reference_text"].GetStringLength() > 0)
        << r.result_json;
  }
  // The row holds the ranges as read.
  EXPECT_EQ(query_one(db_url_,
                      "select (jsonb_array_length(exam_values) > 0 and "
                      "exam_values->0->'reference_min' = '" +
                          to_string(out["values"][0]["reference_min"]) +
                          "'::jsonb and exam_values->0->'reference_max' = '" +
                          to_string(out["values"][0]["reference_max"]) +
                          "'::jsonb)::text from exam_results where job_id = '" + id + "'"),
            "true");
}

TEST_F(ProductionPipelineTest, MedicalExamAcceptsAPdf) {
  auto engine = engine_for("medical_exam");
  ASSERT_TRUE(engine);
  JobResult r = run(*engine, std::string(R"({"userId":")") + kUser + R"(","documentUrl":")" +
                                 sim_.url("/images/exame.pdf") + R"("})");
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
}

TEST_F(ProductionPipelineTest, UnifiedAssistantAnswersWithContext) {
  auto engine = engine_for("unified_assistant");
  ASSERT_TRUE(engine);
  JobResult r =
      run(*engine,
          std::string(R"({"userId":")") + kUser +
              R"(","message":"Como foi meu sono?","mode":"google_fit",)"
              R"("history":[{"role":"user","content":"oi"},{"role":"assistant","content":"olá!"}],)"
              R"("context":{"sleepHours":6.5,"steps":8000}})");
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  Json out = output_of(r);
  EXPECT_GT(out["reply"].GetStringLength(), 0u);
}

TEST_F(ProductionPipelineTest, UnifiedAssistantRefusesAnInputOutsideItsSchema) {
  auto engine = engine_for("unified_assistant");
  ASSERT_TRUE(engine);
  JobResult r =
      run(*engine, std::string(R"({"userId":")") + kUser + R"(","message":"oi","extra":1})");
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
}

TEST_F(ProductionPipelineTest, MealPlanTotalsEachMealAndSavesThePlan) {
  auto engine = engine_for("meal_plan");
  ASSERT_TRUE(engine);
  std::string id = new_job_id();
  JobResult r = run(
      *engine,
      std::string(R"({"userId":")") + kUser +
          R"(","kcalTarget":2000,"days":1,"mealsPerDay":3,"goal":"maintain","restrictions":["sem lactose"]})",
      id);
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  Json out = output_of(r);
  ASSERT_TRUE(out["meals"].IsArray()) << r.result_json;
  EXPECT_GT(out["meals"].Size(), 0u);
  ASSERT_TRUE(out["unknown"].IsArray()) << r.result_json;
  EXPECT_EQ(out["unknown"].Size(), 0u) << r.result_json;  // the simulator names TACO foods
  ASSERT_TRUE(out["assumed"].IsArray()) << r.result_json;
  EXPECT_EQ(out["assumed"].Size(), 0u) << r.result_json;
  double plan_kcal = 0;
  for (const JsonValue& meal : out["meals"].GetArray()) {
    expect_items_match_the_table_and_add_up(meal["items"], meal["totals"], r.result_json);
    EXPECT_EQ(meal["unknown"].Size(), 0u) << r.result_json;
    plan_kcal += meal["totals"]["kcal"].GetDouble();
  }
  const double kcal_total = out["totals"]["kcal"].GetDouble();
  EXPECT_NEAR(kcal_total, plan_kcal, 0.051 * out["meals"].Size() + 0.051) << r.result_json;
  EXPECT_TRUE(out["saved"].GetBool());
  EXPECT_EQ(
      query_one(db_url_,
                "select (request->>'kcalTarget') || ' ' || (jsonb_array_length(meals) > 0)::text "
                "from meal_plans where job_id = '" +
                    id + "'"),
      "2000 true");
  // The saved kcal_total is the plan's total, not a meal's.
  const std::string saved_kcal = query_one(
      db_url_, "select kcal_total::float8::text from meal_plans where job_id = '" + id + "'");
  EXPECT_NEAR(std::stod(saved_kcal), kcal_total, 0.051) << saved_kcal;
}

TEST_F(ProductionPipelineTest, WhatsappMessageRepliesThroughTheSignedWebhook) {
  auto engine = engine_for("whatsapp_message");
  ASSERT_TRUE(engine);
  const std::string id = new_job_id();
  JobResult r = run(
      *engine,
      R"({"from":"+5511987654321","message":"Posso comer banana à noite?","messageId":"wamid.1","name":"Ana"})",
      id);
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  std::lock_guard lock(mu_);
  ASSERT_EQ(deliveries_.size(), 1u);
  const fakes::Request& delivery = deliveries_[0];
  // The receiver's check: the signature over "<timestamp>.<raw body>" with WEBHOOK_SECRET,
  // a timestamp of now (within generous bounds), the job id to de-duplicate on.
  const std::string timestamp = delivery.header("x-aiw-timestamp");
  ASSERT_FALSE(timestamp.empty());
  EXPECT_EQ(delivery.header("x-aiw-signature"),
            webhook_signature("test-secret", timestamp, delivery.body));
  EXPECT_NE(delivery.header("x-aiw-signature"),
            webhook_signature("other-secret", timestamp, delivery.body));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_LE(std::abs(now - std::stoll(timestamp)), 300) << timestamp;
  EXPECT_EQ(delivery.header("x-aiw-delivery"), id);
  Json body;
  ASSERT_TRUE(parse_json(delivery.body, body)) << delivery.body;
  EXPECT_STREQ(body["to"].GetString(), "+5511987654321");
  EXPECT_STREQ(body["inReplyTo"].GetString(), "wamid.1");
  EXPECT_GT(body["text"].GetStringLength(), 0u);
}

// ---- sofia_image failure paths ------------------------------------------------------------

TEST_F(ProductionPipelineTest, AnImageUrlOnAPrivateAddressIsBlocked) {
  JobResult r = run_sofia_image("http://10.0.0.1/images/lunch.jpg");
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
  EXPECT_EQ(r.failed_stage, "fetch");
  EXPECT_NE(r.error.find("10.0.0.1"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("private address"), std::string::npos) << r.error;
}

// Production leaves AIW_FETCH_* unset: the lists are [""], which exempt nothing.
TEST_F(ProductionPipelineTest, WithoutTheOptInEnvironmentLoopbackAndPlainHttpAreRefused) {
  unsetenv("AIW_FETCH_ALLOW_NETWORKS");
  unsetenv("AIW_FETCH_HTTP_HOSTS");
  JobResult http = run_sofia_image(sim_.url("/images/lunch.jpg"));
  ASSERT_EQ(http.status, JobResult::Status::kFailed);
  EXPECT_NE(http.error.find("only https is allowed"), std::string::npos) << http.error;

  set("AIW_FETCH_HTTP_HOSTS", "127.0.0.1");
  JobResult loopback = run_sofia_image(sim_.url("/images/lunch.jpg"));
  ASSERT_EQ(loopback.status, JobResult::Status::kFailed);
  EXPECT_EQ(loopback.error_kind, ErrorKind::kPermanent) << describe(loopback);
  EXPECT_NE(loopback.error.find("127.0.0.1"), std::string::npos) << loopback.error;
  EXPECT_EQ(sim_.stats(Service::kImages).requests, 0u);
}

TEST_F(ProductionPipelineTest, AnImageUrlOnTheCloudMetadataAddressIsBlocked) {
  JobResult r = run_sofia_image("http://169.254.169.254/latest/meta-data/");
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
  EXPECT_NE(r.error.find("169.254.169.254"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("cloud metadata address"), std::string::npos) << r.error;
}

TEST_F(ProductionPipelineTest, AFiftyMegabyteImageIsTooLarge) {
  JobResult r = run_sofia_image(sim_.url("/images/big?bytes=52428800"));
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
  EXPECT_NE(r.error.find("larger than 10485760 bytes"), std::string::npos) << r.error;
}

TEST_F(ProductionPipelineTest, AnHtmlPageInsteadOfAnImageIsRefused) {
  JobResult r = run_sofia_image(sim_.url("/images/menu.html"));
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
  EXPECT_NE(r.error.find("not a JPEG, PNG or WebP image"), std::string::npos) << r.error;
}

TEST_F(ProductionPipelineTest, AnLlmAnsweringProseIsAPermanentParseError) {
  auto knobs = sim_.knobs(Service::kOllama);
  knobs.answer_style = "prose";
  sim_.configure(Service::kOllama, knobs);
  JobResult r = run_sofia_image(sim_.url("/images/lunch.jpg"));
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
  EXPECT_EQ(r.failed_stage, "parse");
  EXPECT_NE(r.error.find("prose"), std::string::npos) << r.error;
  EXPECT_EQ(query_one(db_url_, "select count(*) from meal_analyses"), "0");
}

TEST_F(ProductionPipelineTest, WhenOllamaIsDownGeminiAnswers) {
  auto knobs = sim_.knobs(Service::kOllama);
  knobs.down = true;
  sim_.configure(Service::kOllama, knobs);
  JobResult r = run_sofia_image(sim_.url("/images/lunch.jpg"));
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  EXPECT_STREQ(output_of(r)["provider"].GetString(), "gemini");
  EXPECT_EQ(query_one(db_url_, "select provider from meal_analyses"), "gemini");
}

TEST_F(ProductionPipelineTest, AGemini429IsRetriedAfterTheDelayItAsksFor) {
  auto ollama = sim_.knobs(Service::kOllama);
  ollama.down = true;
  sim_.configure(Service::kOllama, ollama);
  auto gemini = sim_.knobs(Service::kGemini);
  gemini.fail_status = 429;
  gemini.fail_every = 2;  // requests 2, 4, ...: the warm-up job takes request 1
  gemini.retry_after_s = 1.5;
  sim_.configure(Service::kGemini, gemini);
  auto engine = engine_for("sofia_image");
  ASSERT_TRUE(engine);
  JobResult warm_up = run(*engine, image_input(sim_.url("/images/warmup.jpg")));
  ASSERT_EQ(warm_up.status, JobResult::Status::kCompleted) << describe(warm_up);

  JobResult r = run(*engine, image_input(sim_.url("/images/lunch.jpg")));
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  const auto& analyze = stage_of(r, "analyze");
  EXPECT_EQ(analyze.attempts, 2) << describe(r);
  EXPECT_GE(analyze.duration_ns, 1500 * 1000000LL) << "the retry waited less than the 1.5 s asked";
  EXPECT_EQ(sim_.stats(Service::kGemini).statuses[429], 1u);
}

TEST_F(ProductionPipelineTest, WhenYoloIsDownTheOptionalStageFailsAndTheJobCompletes) {
  auto knobs = sim_.knobs(Service::kYolo);
  knobs.down = true;
  sim_.configure(Service::kYolo, knobs);
  JobResult r = run_sofia_image(sim_.url("/images/lunch.jpg"));
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  EXPECT_EQ(stage_of(r, "detect").status, "failed");
  Json out = output_of(r);
  EXPECT_TRUE(out["detections"].IsNull()) << r.result_json;
  EXPECT_GT(out["foods"].Size(), 0u);
  EXPECT_EQ(query_one(db_url_, "select (detections is null)::text from meal_analyses"), "true");
}

}  // namespace
}  // namespace aiw::testing
