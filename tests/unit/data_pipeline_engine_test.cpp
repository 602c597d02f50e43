// A model's answer through the engine: parse.json reads the foods, nutrition.totals sums them.
#include <aiw/json.h>
#include <gmock/gmock.h>

#include "engine_test_support.h"

namespace aiw::testing {
namespace {

// testkit.echo stands in for the LLM stage: its output is {"text": <the job's answer>}.
const std::string kPipeline = R"(
name: meal_photo_totals
version: "1"
input:
  type: object
  required: [answer]
  properties: { answer: { type: string } }
stages:
  - id: llm
    uses: testkit.echo
    with: { text: "${input.answer}" }
  - id: parse
    uses: parse.json
    needs: [llm]
    with:
      text: "${stages.llm.output.text}"
      schema:
        type: object
        required: [foods]
        properties:
          foods:
            type: array
            items:
              type: object
              required: [name, grams]
              properties:
                name: { type: string }
                grams: { type: number, minimum: 0 }
  - id: nutrition
    uses: nutrition.totals
    needs: [parse]
    with:
      table: ")" AIW_SOURCE_DIR R"(/pipelines/data/taco.csv"
      items: "${stages.parse.output.foods}"
)";

std::string input_with(const std::string& answer) {
  Json input(rapidjson::kObjectType);
  input.AddMember("answer", JsonValue(answer, input.GetAllocator()), input.GetAllocator());
  return to_string(input);
}

TEST(DataPipeline, AFencedAnswerWithQuotedGramsBecomesMealTotals) {
  auto engine = make_engine(kPipeline);
  ASSERT_NE(engine, nullptr);
  auto r = run_job(*engine, input_with("Identifiquei:\n```json\n{\"foods\": ["
                                       "{\"name\": \"Arroz, tipo 1, cozido\", \"grams\": \"150\"},"
                                       "{\"name\": \"feijao carioca cozido\", \"grams\": \"100\"},"
                                       "{\"name\": \"farofa\", \"grams\": 30}]}\n```"));
  ASSERT_EQ(r.status, engine::JobResult::Status::kCompleted) << r.error;
  Json out;
  ASSERT_TRUE(parse_json(r.result_json, out)) << r.result_json;
  EXPECT_DOUBLE_EQ(out["totals"]["kcal"].GetDouble(), 268);  // 192 + 76
  ASSERT_EQ(out["items"].Size(), 2u);
  EXPECT_STREQ(out["items"][1]["matched"].GetString(), "Feijão, carioca, cozido");
  ASSERT_EQ(out["unknown"].Size(), 1u);
  EXPECT_STREQ(out["unknown"][0].GetString(), "farofa");
}

TEST(DataPipeline, AnAnswerBreakingTheSchemaFailsTheJobPermanentlyAtParse) {
  auto engine = make_engine(kPipeline);
  ASSERT_NE(engine, nullptr);
  auto r = run_job(*engine, input_with(R"({"foods": [{"name": "arroz", "grams": "muito"}]})"));
  ASSERT_EQ(r.status, engine::JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_EQ(r.failed_stage, "parse");
  EXPECT_THAT(r.error, ::testing::HasSubstr("/foods/0/grams: expected number, got \"muito\""));
}

}  // namespace
}  // namespace aiw::testing
