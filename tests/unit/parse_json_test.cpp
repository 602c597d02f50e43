// parse.json: finding the JSON object in a model's answer, coercing numbers, schema errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include "data_stage_support.h"
#include "pipeline/yaml_to_json.h"

namespace aiw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kFoodsSchema =
    R"({"type":"object","required":["foods"],"properties":{"foods":{"type":"array","items":)"
    R"({"type":"object","required":["name","grams"],"properties":{"name":{"type":"string"},)"
    R"("grams":{"type":"number","minimum":0}}}},"kcal":{"type":"integer"}}})";

class ParseJson : public StageRunner {
 protected:
  ParseJson() : StageRunner("parse") {}
  FakeCall& parse(const std::string& text, const std::string& schema = "",
                  const std::string& extra = "") {
    std::string with =
        "{\"text\":" + quoted(text) + (schema.empty() ? "" : ",\"schema\":" + schema) + extra + "}";
    return run("parse.json", with);
  }
};

TEST_F(ParseJson, PlainJsonObjectIsTheOutput) {
  FakeCall& c = parse(R"(  {"foods":[{"name":"arroz","grams":100}]}  )");
  ASSERT_EQ(c.completes, 1) << c.error;
  EXPECT_EQ(json(c.output), json(R"({"foods":[{"name":"arroz","grams":100}]})"));
}

TEST_F(ParseJson, FencedJsonWithOrWithoutLanguageTagIsFound) {
  FakeCall& tagged = parse("Claro! Segue:\n```json\n{\"a\": 1}\n```\nBom apetite.");
  ASSERT_EQ(tagged.completes, 1) << tagged.error;
  EXPECT_EQ(json(tagged.output), json(R"({"a":1})"));
  FakeCall& bare = parse("```\n{\"b\": [1, 2]}\n```");
  ASSERT_EQ(bare.completes, 1) << bare.error;
  EXPECT_EQ(json(bare.output), json(R"({"b":[1,2]})"));
}

TEST_F(ParseJson, JsonWrappedInProseIsFound) {
  FakeCall& c = parse("Analisei a foto. {\"meal\": \"almoço\", \"ok\": true} Espero ter ajudado!");
  ASSERT_EQ(c.completes, 1) << c.error;
  EXPECT_EQ(json(c.output), json(R"({"meal":"almoço","ok":true})"));
}

TEST_F(ParseJson, BracesAndEscapedQuotesInsideStringsDoNotEndTheObject) {
  FakeCall& c = parse(R"(Result: {"note":"a } brace and a \" quote { here","n":{"m":1}} end)");
  ASSERT_EQ(c.completes, 1) << c.error;
  EXPECT_EQ(json(c.output), json(R"({"note":"a } brace and a \" quote { here","n":{"m":1}})"));
}

TEST_F(ParseJson, ABracedPhraseBeforeTheObjectIsSkippedButNotItsInnerObjects) {
  FakeCall& c = parse(R"(I used {your photo} and found: {"a":1})");
  ASSERT_EQ(c.completes, 1) << c.error;
  EXPECT_EQ(json(c.output), json(R"({"a":1})"));
  // The outer object is invalid; its valid inner object is a fragment, never the answer.
  FakeCall& fragment = parse(R"({foods: [{"name":"x"}]})");
  EXPECT_EQ(fragment.fails, 1);
  EXPECT_THAT(fragment.error, HasSubstr("not valid JSON"));
}

TEST_F(ParseJson, CommentsAndTrailingCommasAreTolerated) {
  FakeCall& c = parse("{\"a\": 1, // grams\n \"b\": [2, 3,],}");
  ASSERT_EQ(c.completes, 1) << c.error;
  EXPECT_EQ(json(c.output), json(R"({"a":1,"b":[2,3]})"));
}

TEST_F(ParseJson, ProseWithoutJsonFailsPermanentlyQuotingItsFirst80Characters) {
  std::string prose(100, 'x');
  FakeCall& c = parse("Desculpe, não consigo analisar a imagem. " + prose);
  ASSERT_EQ(c.fails, 1);
  EXPECT_EQ(c.kind, AIW_ERROR_PERMANENT);
  EXPECT_EQ(c.error,
            "the model answered prose with no JSON object: Desculpe, não consigo "
            "analisar a imagem. " +
                std::string(39, 'x') + "...");
}

TEST_F(ParseJson, InvalidJsonFailsPermanentlyWithTheParserReason) {
  FakeCall& c = parse("{'name': 'arroz'}");
  ASSERT_EQ(c.fails, 1);
  EXPECT_EQ(c.kind, AIW_ERROR_PERMANENT);
  EXPECT_THAT(c.error, StartsWith("the model's answer holds a {...} that is not valid JSON ("));
  EXPECT_THAT(c.error, HasSubstr("{'name': 'arroz'}"));
}

TEST_F(ParseJson, AnObjectCutOffBeforeItClosesIsReportedAsSuch) {
  FakeCall& c = parse("Aqui: {\"foods\": [{\"name\": \"arroz\", \"gra");
  ASSERT_EQ(c.fails, 1);
  EXPECT_THAT(c.error, HasSubstr("starting at character 7 never closes"));
}

TEST_F(ParseJson, AJsonArrayIsNotTakenForTheObject) {
  FakeCall& c = parse(R"([{"name":"arroz"}])");
  ASSERT_EQ(c.fails, 1);
  EXPECT_THAT(c.error, StartsWith("the model answered a JSON array where an object was expected"));
}

TEST_F(ParseJson, ObjectSatisfyingTheSchemaPasses) {
  FakeCall& c = parse(R"({"foods":[{"name":"arroz","grams":120.5}],"kcal":300})", kFoodsSchema);
  ASSERT_EQ(c.completes, 1) << c.error;
  EXPECT_EQ(json(c.output), json(R"({"foods":[{"name":"arroz","grams":120.5}],"kcal":300})"));
}

TEST_F(ParseJson, SchemaMismatchListsJsonPointersWithWhatWasExpected) {
  FakeCall& c = parse(R"({"foods":[{"name":"arroz","grams":"lots"},{"grams":10}]})", kFoodsSchema);
  ASSERT_EQ(c.fails, 1);
  EXPECT_EQ(c.kind, AIW_ERROR_PERMANENT);
  EXPECT_EQ(c.error,
            "the model's JSON does not match the schema: /foods/0/grams: expected number, got "
            "\"lots\"; /foods/1: missing required member \"name\"");
}

TEST_F(ParseJson, AtMostFiveProblemsAreListed) {
  std::string foods;
  for (int i = 0; i < 8; ++i) foods += std::string(i ? "," : "") + R"({"name":"x","grams":"?"})";
  FakeCall& c = parse("{\"foods\":[" + foods + "]}", kFoodsSchema);
  ASSERT_EQ(c.fails, 1);
  EXPECT_THAT(c.error, HasSubstr("/foods/4/grams"));
  EXPECT_THAT(c.error, ::testing::Not(HasSubstr("/foods/5/grams")));
  EXPECT_THAT(c.error, ::testing::EndsWith("; and more"));
}

TEST_F(ParseJson, NumbersWrittenAsStringsBecomeNumbersWhereTheSchemaAsksForThem) {
  FakeCall& c = parse(R"({"foods":[{"name":"150","grams":"150"},{"name":"b","grams":"1,5"},)"
                      R"({"name":"c","grams":" 12.5 "}],"kcal":"300"})",
                      kFoodsSchema);
  ASSERT_EQ(c.completes, 1) << c.error;
  Json out = json(c.output);
  EXPECT_STREQ(out["foods"][0]["name"].GetString(), "150");  // the schema says string: kept
  EXPECT_TRUE(out["foods"][0]["grams"].IsInt64());
  EXPECT_EQ(out["foods"][0]["grams"].GetInt64(), 150);
  EXPECT_DOUBLE_EQ(out["foods"][1]["grams"].GetDouble(), 1.5);
  EXPECT_DOUBLE_EQ(out["foods"][2]["grams"].GetDouble(), 12.5);
  EXPECT_EQ(out["kcal"].GetInt64(), 300);
}

TEST_F(ParseJson, AFieldThatAllowsANumberOrTextGetsTheNumberAndKeepsOtherText) {
  const std::string schema =
      R"({"type":"object","properties":{"results":{"type":"array","items":)"
      R"({"type":["number","string"]}}}})";
  FakeCall& c = parse(R"({"results":["5,2","Negativo","<0,5"," 7 ",3.5]})", schema);
  ASSERT_EQ(c.completes, 1) << c.error;
  EXPECT_EQ(json(c.output), json(R"({"results":[5.2,"Negativo","<0,5",7,3.5]})"));
}

// The schema medical_exam's parse stage checks, read from the pipeline file itself, so these
// tests follow the pipeline as it ships.
std::string medical_exam_parse_schema() {
  YAML::Node root =
      YAML::LoadFile(std::string(AIW_SOURCE_DIR) + "/pipelines/medical_exam.yaml");
  for (const YAML::Node& stage : root["stages"]) {
    if (stage["id"].as<std::string>() != "parse") continue;
    Json schema;
    pipeline::internal::PointerMarks marks;
    std::vector<pipeline::internal::Problem> problems;
    pipeline::internal::yaml_to_json(stage["with"]["schema"], schema, schema.GetAllocator(),
                                     marks, problems);
    EXPECT_TRUE(problems.empty());
    return to_string(schema);
  }
  ADD_FAILURE() << "medical_exam.yaml has no parse stage";
  return "{}";
}

TEST_F(ParseJson, MedicalExamSchemaAcceptsQualitativeResultsAndTextualReferenceRanges) {
  FakeCall& c = parse(
      R"({"exam_date":"2024-03-01","summary":"Urina tipo 1 e sorologia.","values":[)"
      R"({"name":"Proteínas","value":"Negativo","reference_text":"Negativo","flag":"normal"},)"
      R"({"name":"HIV 1/2","value":"Não reagente","flag":"normal"},)"
      R"({"name":"PCR","value":"<0,5","unit":"mg/dL","reference_text":"< 1,0","flag":"normal"},)"
      R"({"name":"Colesterol total","value":"212","unit":"mg/dL","reference_text":"< 200",)"
      R"("flag":"high"},)"
      R"({"name":"Glicose","value":"5,2","unit":"mmol/L","reference_min":3.9,)"
      R"("reference_max":"5,6","flag":"normal"},)"
      R"({"name":"pH","value":6,"flag":"normal"}]})",
      medical_exam_parse_schema());
  ASSERT_EQ(c.completes, 1) << c.error;
  Json out = json(c.output);
  const JsonValue& values = out["values"];
  EXPECT_STREQ(values[0]["value"].GetString(), "Negativo");
  EXPECT_STREQ(values[0]["reference_text"].GetString(), "Negativo");
  EXPECT_STREQ(values[1]["value"].GetString(), "Não reagente");
  EXPECT_STREQ(values[2]["value"].GetString(), "<0,5");
  EXPECT_EQ(values[3]["value"].GetInt64(), 212);  // a quoted measure is still the number
  EXPECT_DOUBLE_EQ(values[4]["value"].GetDouble(), 5.2);
  EXPECT_DOUBLE_EQ(values[4]["reference_max"].GetDouble(), 5.6);
  EXPECT_FALSE(values[5].HasMember("unit"));
}

TEST_F(ParseJson, MedicalExamSchemaStillRefusesAValueThatIsNeitherNumberNorText) {
  FakeCall& c = parse(
      R"({"summary":"s","values":[{"name":"Glicose","value":null,"flag":"normal"},)"
      R"({"name":"Ureia","value":30,"reference_min":"baixo","flag":"normal"}]})",
      medical_exam_parse_schema());
  ASSERT_EQ(c.fails, 1);
  EXPECT_THAT(c.error, HasSubstr("/values/0/value: expected number or string, got null"));
  EXPECT_THAT(c.error, HasSubstr("/values/1/reference_min: expected number, got \"baixo\""));
}

TEST_F(ParseJson, NumbersWithUnitsOrThousandsSeparatorsAreNotGuessed) {
  FakeCall& unit = parse(R"({"foods":[{"name":"a","grams":"150 g"}]})", kFoodsSchema);
  ASSERT_EQ(unit.fails, 1);
  EXPECT_THAT(unit.error, HasSubstr("/foods/0/grams: expected number, got \"150 g\""));
  FakeCall& both = parse(R"({"foods":[{"name":"a","grams":"1.500,5"}]})", kFoodsSchema);
  EXPECT_EQ(both.fails, 1);
}

TEST_F(ParseJson, CoercionCanBeTurnedOff) {
  FakeCall& c = parse(R"({"foods":[{"name":"a","grams":"150"}]})", kFoodsSchema,
                      R"(,"coerce_numbers":false)");
  ASSERT_EQ(c.fails, 1);
  EXPECT_THAT(c.error, HasSubstr("/foods/0/grams: expected number, got \"150\""));
}

TEST_F(ParseJson, ASchemaFromAReferenceIsCompiledForEachJob) {
  std::string config = R"({"text":"${stages.llm.output.text}","schema":"${input.schema}"})";
  std::string params = R"({"text":"{\"kcal\":\"x\"}","schema":{"type":"object",)"
                       R"("properties":{"kcal":{"type":"integer"}}}})";
  FakeCall& c = run("parse.json", config, params);
  ASSERT_EQ(c.fails, 1);
  EXPECT_THAT(c.error, HasSubstr("/kcal: expected integer, got \"x\""));
}

TEST_F(ParseJson, TextThatIsNotAStringIsAPermanentErrorNamingTheParameter) {
  FakeCall& c = run("parse.json", R"({"text":"${stages.llm.output.text}"})", R"({"text":null})");
  ASSERT_EQ(c.fails, 1);
  EXPECT_EQ(c.kind, AIW_ERROR_PERMANENT);
  EXPECT_THAT(c.error, StartsWith("parameter text is null"));
}

}  // namespace
}  // namespace aiw::testing
