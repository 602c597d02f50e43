// Deterministic LLM answers: schema instances validate, food answers use TACO names and add
// up, styles shape the text, and the helpers behave like the servers they imitate.
#include <gtest/gtest.h>
#include <rapidjson/schema.h>

#include <set>

#include "aiw/json.h"
#include "fakes/sim/answers.h"
#include "fakes/sim/sim_internal.h"

namespace aiw::sim {
namespace {

bool validates(const std::string& schema_text, const std::string& instance_text, std::string& why) {
  Json schema_doc, instance;
  if (!parse_json(schema_text, schema_doc)) return why = "bad schema", false;
  if (!parse_json(instance_text, instance)) return why = "not JSON: " + instance_text, false;
  rapidjson::SchemaDocument schema(schema_doc);
  rapidjson::SchemaValidator validator(schema);
  if (instance.Accept(validator)) return true;
  rapidjson::StringBuffer where;
  validator.GetInvalidDocumentPointer().StringifyUriFragment(where);
  why = std::string(validator.GetInvalidSchemaKeyword()) + " at " + where.GetString() + " in " +
        instance_text;
  return false;
}

TEST(SimAnswers, SchemaInstancesValidateAgainstTheirSchema) {
  const std::vector<std::string> schemas = {
      R"({"type":"object","properties":{"label":{"type":"string"},"count":{"type":"integer"}},"required":["label","count"]})",
      R"({"type":"object","required":["foods","total_kcal","meal"],"properties":{
           "foods":{"type":"array","minItems":2,"maxItems":3,"items":{"type":"object","required":["name","grams"],
             "properties":{"name":{"type":"string"},"grams":{"type":"number","minimum":1,"maximum":1000},
                           "confidence":{"type":"number","minimum":0,"maximum":1}}}},
           "total_kcal":{"type":"integer","minimum":0},
           "meal":{"type":"string","enum":["breakfast","lunch","dinner"]},
           "healthy":{"type":"boolean"},"note":{"type":["string","null"]},
           "when":{"type":"string","format":"date-time"},"kind":{"const":"meal"}}})",
      R"({"$defs":{"food":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}},
          "type":"array","items":{"$ref":"#/$defs/food"},"minItems":1})",
      R"({"anyOf":[{"type":"integer","exclusiveMinimum":10,"maximum":11},{"type":"string"}]})",
  };
  for (const auto& schema : schemas) {
    Json doc;
    ASSERT_TRUE(parse_json(schema, doc));
    for (uint64_t seed : {1ull, 2ull, 42ull, 0xDEADBEEFull}) {
      std::string why;
      EXPECT_TRUE(validates(schema, schema_instance(doc, seed), why)) << why;
    }
  }
}

TEST(SimAnswers, NutritionSchemaGetsTacoNamesAndPlausibleNumbers) {
  Json schema;
  parse_json(R"({"type":"object","properties":{"items":{"type":"array","items":{"type":"object",
      "properties":{"food_name":{"type":"string"},"grams":{"type":"integer"},"kcal":{"type":"number"}}}}}})",
             schema);
  Json v;
  ASSERT_TRUE(parse_json(schema_instance(schema, 7), v));
  for (const auto& item : v["items"].GetArray()) {
    EXPECT_NE(std::string(item["food_name"].GetString()).find(", "),
              std::string::npos);  // TACO style
    EXPECT_GT(item["grams"].GetInt(), 0);
    EXPECT_GE(item["kcal"].GetDouble(), 0);
  }
}

TEST(SimAnswers, SchemaTotalsAfterAFoodListAddUpTheListedFoods) {
  Json schema;
  parse_json(R"({"type":"object","properties":{"foods":{"type":"array","items":{"type":"object",
      "properties":{"name":{"type":"string"},"calories":{"type":"number"}}}},"total_calories":{"type":"number"}}})",
             schema);
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Json v;
    ASSERT_TRUE(parse_json(schema_instance(schema, seed), v));
    double sum = 0;
    for (const auto& food : v["foods"].GetArray()) sum += food["calories"].GetDouble();
    EXPECT_NEAR(v["total_calories"].GetDouble(), sum, 0.2);
  }
}

TEST(SimAnswers, FoodAnswerUsesTacoNamesAndItsTotalsAddUp) {
  const std::set<std::string> taco = {"Arroz, tipo 1, cozido",
                                      "Feijão, carioca, cozido",
                                      "Frango, peito, sem pele, grelhado",
                                      "Banana, prata, crua",
                                      "Ovo, de galinha, inteiro, cozido/10minutos",
                                      "Pão, trigo, francês",
                                      "Alface, crespa, crua",
                                      "Tomate, com semente, cru",
                                      "Carne, bovina, patinho, sem gordura, grelhado",
                                      "Batata, inglesa, cozida"};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Json v;
    ASSERT_TRUE(parse_json(food_json(seed), v));
    double kcal = 0;
    std::set<std::string> names;
    for (const auto& food : v["foods"].GetArray()) {
      EXPECT_TRUE(taco.count(food["name"].GetString())) << food["name"].GetString();
      names.insert(food["name"].GetString());
      kcal += food["calories"].GetDouble();
    }
    EXPECT_EQ(names.size(), v["foods"].Size());  // no food twice
    EXPECT_GE(v["foods"].Size(), 2u);
    EXPECT_NEAR(v["calories"].GetDouble(), kcal, 0.5);
  }
}

TEST(SimAnswers, StylesShapeTheSameAnswer) {
  AnswerRequest request;
  request.text = "Quais alimentos e calorias tem neste prato?";
  const std::string json = generate_answer(request);
  Json v;
  ASSERT_TRUE(parse_json(json, v)) << json;  // a food question gets JSON even without format
  EXPECT_TRUE(v.HasMember("foods"));
  request.style = "prose";
  const std::string prose = generate_answer(request);
  EXPECT_EQ(prose.find('{'), std::string::npos);
  EXPECT_NE(prose.find(" g of "), std::string::npos);
  request.style = "fenced";
  EXPECT_NE(generate_answer(request).find("```json\n" + json + "\n```"), std::string::npos);

  AnswerRequest chat;
  chat.text = "Say hello";
  EXPECT_FALSE(parse_json(generate_answer(chat), v));  // plain questions get prose
  EXPECT_EQ(generate_answer(chat), generate_answer(chat));
}

TEST(SimAnswers, StreamPiecesConcatenateToTheContent) {
  const std::string content = "The  sky is\nblue, mostly. {\"a\": 1}";
  for (size_t words : {1u, 3u}) {
    std::string joined;
    for (const auto& piece : stream_pieces(content, words)) joined += piece;
    EXPECT_EQ(joined, content);
  }
  EXPECT_GT(stream_pieces(content, 1).size(), 3u);
}

TEST(SimAnswers, Base64DecodesLikeGoAndProto3) {
  std::string out;
  size_t bad = 0;
  EXPECT_TRUE(base64_decode("aGVsbG8=", out, bad));
  EXPECT_EQ(out, "hello");
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(base64_decode("aGVsbG8", out, bad));       // Go's StdEncoding wants the padding
  EXPECT_TRUE(base64_decode("aGVsbG8", out, bad, true));  // proto3 JSON does not
  EXPECT_FALSE(base64_decode("aGV$bG8=", out, bad));
  EXPECT_EQ(bad, 3u);
  EXPECT_TRUE(base64_decode("aGVs\r\nbG8=", out, bad));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(base64_decode("aGVsbG8=aGVs", out, bad));  // nothing after the padding
}

}  // namespace
}  // namespace aiw::sim
