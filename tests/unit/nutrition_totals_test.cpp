// nutrition.totals: the CSV table, name matching, the sums, and how problems are reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "data_stage_support.h"
#include "plugin_test_support.h"

namespace aiw::testing {
namespace {

using ::testing::HasSubstr;

const std::string kTaco = AIW_SOURCE_DIR "/pipelines/data/taco.csv";

class NutritionTotals : public StageRunner {
 protected:
  NutritionTotals() : StageRunner("nutrition") {}
  // Writes a table into the test's folder and returns its path.
  std::string table(const std::string& name, const std::string& csv) {
    std::string path = (dir_.path() / name).string();
    std::ofstream(path, std::ios::binary) << csv;
    return path;
  }
  Json totals(const std::string& table_path, const std::string& items) {
    FakeCall& c =
        run("nutrition.totals", "{\"table\":" + quoted(table_path) + ",\"items\":" + items + "}");
    EXPECT_EQ(c.completes, 1) << c.error;
    return json(c.completes ? c.output : "{}");
  }
  TempDir dir_;
};

TEST_F(NutritionTotals, TotalsAreGramsTimesPer100gValuesSummedAndRoundedToOneDecimal) {
  std::string t = table("t.csv",
                        "food,kcal,protein,carbohydrate,fat,fibre\n"
                        "Rice,130,2.5,28.1,0.2,1.6\n"
                        "Beans,76,4.8,13.6,0.5,8.5\n");
  Json out = totals(t, R"([{"name":"rice","grams":150},{"name":"beans","grams":80}])");
  const JsonValue& rice = out["items"][0];
  EXPECT_STREQ(rice["matched"].GetString(), "Rice");
  EXPECT_DOUBLE_EQ(rice["kcal"].GetDouble(), 195.0);
  EXPECT_DOUBLE_EQ(rice["protein"].GetDouble(), 3.8);        // 3.75
  EXPECT_DOUBLE_EQ(rice["carbohydrate"].GetDouble(), 42.2);  // 42.15
  EXPECT_DOUBLE_EQ(out["items"][1]["fibre"].GetDouble(), 6.8);
  const JsonValue& sum = out["totals"];
  EXPECT_DOUBLE_EQ(sum["kcal"].GetDouble(), 255.8);         // 195 + 60.8
  EXPECT_DOUBLE_EQ(sum["protein"].GetDouble(), 7.6);        // 3.75 + 3.84
  EXPECT_DOUBLE_EQ(sum["carbohydrate"].GetDouble(), 53.0);  // 42.15 + 10.88
  EXPECT_DOUBLE_EQ(sum["fat"].GetDouble(), 0.7);            // 0.3 + 0.4
  EXPECT_DOUBLE_EQ(sum["fibre"].GetDouble(), 9.2);          // 2.4 + 6.8
  EXPECT_EQ(out["unknown"].Size(), 0u);
}

TEST_F(NutritionTotals, TheShippedTacoTableGivesTacoValues) {
  Json out = totals(kTaco, R"([{"name":"Arroz, tipo 1, cozido","grams":100},)"
                           R"({"name":"Feijão, carioca, cozido","grams":100},)"
                           R"({"name":"Frango, peito, sem pele, grelhado","grams":100}])");
  ASSERT_EQ(out["items"].Size(), 3u);
  EXPECT_DOUBLE_EQ(out["items"][0]["kcal"].GetDouble(), 128);
  EXPECT_DOUBLE_EQ(out["items"][1]["fibre"].GetDouble(), 8.5);
  EXPECT_DOUBLE_EQ(out["items"][2]["protein"].GetDouble(), 32.0);
  EXPECT_DOUBLE_EQ(out["items"][2]["fibre"].GetDouble(), 0.0);  // NA
  EXPECT_DOUBLE_EQ(out["totals"]["kcal"].GetDouble(), 363);
}

TEST_F(NutritionTotals, CsvQuotingDoubledQuotesAndCrlfAreRead) {
  std::string t = table("q.csv",
                        "\xEF\xBB\xBF"
                        "food,kcal,protein,carbohydrate,fat,fibre\r\n"
                        "\"Queijo, \"\"minas\"\", frescal\",264,17.4,3.2,20.2,NA\r\n"
                        "\r\n"
                        "Mel,309,\"0,3\",84,0,Tr\r\n");
  Json out = totals(t, R"([{"name":"queijo \"minas\" frescal","grams":100},)"
                       R"({"name":"mel","grams":100}])");
  ASSERT_EQ(out["items"].Size(), 2u);
  EXPECT_STREQ(out["items"][0]["matched"].GetString(), "Queijo, \"minas\", frescal");
  EXPECT_DOUBLE_EQ(out["items"][0]["fat"].GetDouble(), 20.2);
  EXPECT_DOUBLE_EQ(out["items"][1]["protein"].GetDouble(), 0.3);
}

TEST_F(NutritionTotals, AccentsCaseSpacingAndPunctuationAreIgnored) {
  Json out = totals(kTaco, R"([{"name":"FEIJAO carioca  cozido","grams":100},)"
                           R"({"food":"pao trigo frances","grams":50},)"
                           R"({"name":" Maçã, fuji, com casca, crua ","grams":100}])");
  ASSERT_EQ(out["items"].Size(), 3u) << to_string(out);
  EXPECT_STREQ(out["items"][0]["matched"].GetString(), "Feijão, carioca, cozido");
  EXPECT_STREQ(out["items"][1]["matched"].GetString(), "Pão, trigo, francês");
  EXPECT_STREQ(out["items"][1]["name"].GetString(), "pao trigo frances");
  EXPECT_STREQ(out["items"][2]["matched"].GetString(), "Maçã, Fuji, com casca, crua");
}

TEST_F(NutritionTotals, ANameEqualToTheFirstPartOfExactlyOneFoodMatchesIt) {
  Json out = totals(kTaco, R"([{"name":"Tomate","grams":100}])");
  ASSERT_EQ(out["items"].Size(), 1u);
  EXPECT_STREQ(out["items"][0]["matched"].GetString(), "Tomate, com semente, cru");
}

TEST_F(NutritionTotals, AFirstWordMatchCountsButIsReportedAsAssumed) {
  Json out = totals(kTaco, R"([{"name":"Brócolis","grams":100},)"
                           R"({"name":"Arroz, tipo 1, cozido","grams":100}])");
  ASSERT_EQ(out["items"].Size(), 2u);
  EXPECT_STREQ(out["items"][0]["matched"].GetString(), "Brócolis, cozido");
  EXPECT_STREQ(out["items"][0]["match"].GetString(), "first_word");
  EXPECT_STREQ(out["items"][1]["match"].GetString(), "exact");
  EXPECT_DOUBLE_EQ(out["totals"]["kcal"].GetDouble(), 153);  // 25 + 128: it still counts
  ASSERT_EQ(out["assumed"].Size(), 1u);
  EXPECT_STREQ(out["assumed"][0]["name"].GetString(), "Brócolis");
  EXPECT_STREQ(out["assumed"][0]["matched"].GetString(), "Brócolis, cozido");
}

TEST_F(NutritionTotals, AssumedMatchesAreListedPerMealAndForTheWholePlan) {
  FakeCall& c = run("nutrition.totals", "{\"table\":" + quoted(kTaco) + R"(,"meals":[
      {"name":"almoço","items":[{"name":"Tomate","grams":100},
                                {"name":"Arroz, tipo 1, cozido","grams":100}]},
      {"name":"jantar","items":[{"name":"Brócolis","grams":100}]}]})");
  ASSERT_EQ(c.completes, 1) << c.error;
  Json out = json(c.output);
  ASSERT_EQ(out["meals"].Size(), 2u);
  ASSERT_EQ(out["meals"][0]["assumed"].Size(), 1u);
  EXPECT_STREQ(out["meals"][0]["assumed"][0]["matched"].GetString(), "Tomate, com semente, cru");
  EXPECT_STREQ(out["meals"][0]["items"][1]["match"].GetString(), "exact");
  ASSERT_EQ(out["meals"][1]["assumed"].Size(), 1u);
  EXPECT_EQ(out["assumed"].Size(), 2u);
}

TEST_F(NutritionTotals, UnknownAndAmbiguousFoodsAreReportedAndCountForNothing) {
  Json out = totals(kTaco, R"([{"name":"Pizza de calabresa","grams":200},)"
                           R"({"name":"banana","grams":100},)"
                           R"({"name":"Café, infusão 10%","grams":100}])");
  ASSERT_EQ(out["items"].Size(), 1u);
  EXPECT_DOUBLE_EQ(out["totals"]["kcal"].GetDouble(), 9);
  ASSERT_EQ(out["unknown"].Size(), 1u);
  EXPECT_STREQ(out["unknown"][0].GetString(), "Pizza de calabresa");
  ASSERT_EQ(out["ambiguous"].Size(), 1u);
  EXPECT_STREQ(out["ambiguous"][0]["name"].GetString(), "banana");
  EXPECT_EQ(out["ambiguous"][0]["candidates"].Size(), 3u);  // maçã, nanica, prata
}

TEST_F(NutritionTotals, ItemsWithoutNameOrPositiveGramsAreInvalid) {
  Json out = totals(kTaco, R"([{"name":"Tomate"},{"name":"Tomate","grams":0},)"
                           R"({"name":"Tomate","grams":"100"},{"grams":10},"Tomate"])");
  EXPECT_EQ(out["items"].Size(), 0u);
  ASSERT_EQ(out["invalid"].Size(), 5u);
  EXPECT_STREQ(out["invalid"][0]["reason"].GetString(), "grams is missing");
  EXPECT_STREQ(out["invalid"][1]["reason"].GetString(), "grams must be more than 0, got 0");
  EXPECT_STREQ(out["invalid"][2]["reason"].GetString(), "grams is not a number: \"100\"");
  EXPECT_TRUE(out["invalid"][3]["name"].IsNull());
  EXPECT_STREQ(out["invalid"][3]["reason"].GetString(), "the item has no name (give name or food)");
}

TEST_F(NutritionTotals, MealsGiveTotalsPerMealAndForTheWholePlan) {
  FakeCall& c = run("nutrition.totals", "{\"table\":" + quoted(kTaco) + R"(,"meals":[
      {"name":"café da manhã","items":[{"name":"Pão, trigo, francês","grams":50},
                                        {"name":"Café, infusão 10%","grams":100}]},
      {"meal":"almoço","items":[{"name":"Arroz, tipo 1, cozido","grams":100},
                                {"name":"Feijão, carioca, cozido","grams":100},
                                {"name":"sushi","grams":100}]},
      {"name":"jantar"}]})");
  ASSERT_EQ(c.completes, 1) << c.error;
  Json out = json(c.output);
  ASSERT_EQ(out["meals"].Size(), 2u);
  EXPECT_STREQ(out["meals"][0]["name"].GetString(), "café da manhã");
  EXPECT_DOUBLE_EQ(out["meals"][0]["totals"]["kcal"].GetDouble(), 159);  // 150 + 9
  EXPECT_STREQ(out["meals"][1]["name"].GetString(), "almoço");
  EXPECT_DOUBLE_EQ(out["meals"][1]["totals"]["kcal"].GetDouble(), 204);  // 128 + 76
  EXPECT_STREQ(out["meals"][1]["unknown"][0].GetString(), "sushi");
  EXPECT_DOUBLE_EQ(out["totals"]["kcal"].GetDouble(), 363);
  EXPECT_EQ(out["items"].Size(), 4u);
  EXPECT_STREQ(out["unknown"][0].GetString(), "sushi");
  ASSERT_EQ(out["invalid"].Size(), 1u);
  EXPECT_STREQ(out["invalid"][0]["name"].GetString(), "jantar");
}

TEST_F(NutritionTotals, AMissingTableRefusesThePipelineWithASentenceNamingThePath) {
  auto made = create("nutrition.totals", R"({"table":"/nonexistent/taco.csv","items":[]})");
  ASSERT_FALSE(made.ok());
  EXPECT_THAT(made.error(),
              HasSubstr("cannot read the food table /nonexistent/taco.csv: No such file"));
}

TEST_F(NutritionTotals, AMalformedRowRefusesThePipelineNamingItsLine) {
  std::string bad_number = table("n.csv",
                                 "food,kcal,protein,carbohydrate,fat,fibre\n"
                                 "A,1,1,1,1,1\n"
                                 "B,1,lots,1,1,1\n");
  auto made = create("nutrition.totals", "{\"table\":" + quoted(bad_number) + ",\"items\":[]}");
  ASSERT_FALSE(made.ok());
  EXPECT_THAT(made.error(), HasSubstr(bad_number + ":3: protein \"lots\" is not a number"));
  std::string unquoted = table("u.csv",
                               "food,kcal,protein,carbohydrate,fat,fibre\n"
                               "Arroz, cozido,1,1,1,1,1\n");
  made = create("nutrition.totals", "{\"table\":" + quoted(unquoted) + ",\"items\":[]}");
  EXPECT_THAT(made.error(), HasSubstr(":2: 7 fields where the header has 6"));
  std::string open_quote = table("o.csv",
                                 "food,kcal,protein,carbohydrate,fat,fibre\n"
                                 "A,1,1,1,1,1\n\"B,1,1,1,1,1\nC,1,1,1,1,1\n");
  made = create("nutrition.totals", "{\"table\":" + quoted(open_quote) + ",\"items\":[]}");
  EXPECT_THAT(made.error(), HasSubstr("line 3: the quoted field opened here never closes"));
  std::string no_fibre = table("h.csv", "food,kcal,protein,carbohydrate,fat\nA,1,1,1,1\n");
  made = create("nutrition.totals", "{\"table\":" + quoted(no_fibre) + ",\"items\":[]}");
  EXPECT_THAT(made.error(), HasSubstr(":1: the header has no column \"fibre\""));
}

TEST_F(NutritionTotals, ARelativeTableIsFoundUnderAiwPipelineDir) {
  table("rel.csv", "food,kcal,protein,carbohydrate,fat,fibre\nOvo,146,13.3,0.6,9.5,NA\n");
  ScopedEnv dir("AIW_PIPELINE_DIR", dir_.path().string());
  Json out = totals("rel.csv", R"([{"name":"ovo","grams":50}])");
  EXPECT_DOUBLE_EQ(out["totals"]["kcal"].GetDouble(), 73);
}

TEST_F(NutritionTotals, ATablePathFromAReferenceIsLoadedByTheJobAndAMissingOneFailsIt) {
  std::string config = R"({"table":"${input.table}","items":"${stages.parse.output.foods}"})";
  FakeCall& missing =
      run("nutrition.totals", config, R"({"table":"/nonexistent/x.csv","items":[]})");
  ASSERT_EQ(missing.fails, 1);
  EXPECT_EQ(missing.kind, AIW_ERROR_PERMANENT);
  EXPECT_THAT(missing.error, HasSubstr("cannot read the food table /nonexistent/x.csv"));
  FakeCall& found = run("nutrition.totals", config,
                        "{\"table\":" + quoted(kTaco) + R"(,"items":[{"name":"mel","grams":10}]})");
  ASSERT_EQ(found.completes, 1) << found.error;
  EXPECT_DOUBLE_EQ(json(found.output)["totals"]["kcal"].GetDouble(), 30.9);
}

TEST_F(NutritionTotals, ItemsThatAreNotAnArrayFailTheJobNamingTheParameter) {
  FakeCall& c = run("nutrition.totals", R"({"table":")" + kTaco + R"(","items":"${x}"})",
                    R"({"table":")" + kTaco + R"(","items":null})");
  ASSERT_EQ(c.fails, 1);
  EXPECT_THAT(c.error, HasSubstr("parameter items resolved to null, not an array"));
}

}  // namespace
}  // namespace aiw::testing
