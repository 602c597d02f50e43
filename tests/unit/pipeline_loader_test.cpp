// The pipeline loader: every validation error with its file:line:column, limits, and a valid DAG.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "pipeline/loader.h"

namespace aiw::pipeline {
namespace {

class TestCatalog : public StageCatalog {
 public:
  const char* params_schema(std::string_view type) const override {
    auto it = schemas_.find(std::string(type));
    return it == schemas_.end() ? nullptr : it->second.c_str();
  }
  std::vector<std::string> stage_type_names() const override {
    std::vector<std::string> names;
    for (const auto& [name, schema] : schemas_) names.push_back(name);
    return names;
  }

 private:
  std::map<std::string, std::string> schemas_ = {
      {"http.fetch", R"({"type":"object","required":["url"],"additionalProperties":false,
                        "properties":{"url":{"type":"string","minLength":1}}})"},
      {"yolo.detect", R"({"type":"object","required":["url"],"additionalProperties":false,
                         "properties":{"url":{"type":"string"},
                                       "confidence":{"type":"number","minimum":0,"maximum":1},
                                       "classes":{"type":"array","items":{"type":"string"}}}})"},
      {"llm.parse", R"({"type":"object","properties":{"prompt":{"type":"string"},
                                                     "model":{"enum":["small","large"]}}})"},
      {"merge", R"({})"},
  };
};

LoadResult load(const std::string& yaml, const LoadLimits& limits = {}) {
  static TestCatalog catalog;
  return load_pipeline_text(yaml, "p.yaml", catalog, limits);
}

std::string all(const LoadResult& result) {
  std::string text;
  for (const auto& d : result.diagnostics) text += d.to_string() + "\n";
  return text;
}

// The only diagnostic, as "file:line:column: message".
std::string only(const LoadResult& result) {
  EXPECT_EQ(result.diagnostics.size(), 1u) << all(result);
  return result.diagnostics.empty() ? "" : result.diagnostics[0].to_string();
}

const char* const kHeader = "name: demo\nversion: \"1.0\"\n";

TEST(PipelineLoader, ValidFanOutFanInLoadsInTopologicalOrderWithNeedsIndices) {
  // Declared out of order: merge first, its inputs after.
  auto result = load(std::string(kHeader) + R"(description: fan out, fan in
defaults: { timeout: 5s, deadline: 2m, retry: { max_attempts: 4, delay: 500ms } }
cache: { enabled: true, ttl: 1h }
input:
  type: object
  required: [imageUrl]
  properties: { imageUrl: { type: string } }
stages:
  - id: merge
    uses: merge
    needs: [detect, parse]
    with: { a: "${stages.detect.output}", b: "${stages.parse.output.text}" }
  - id: fetch
    uses: http.fetch
    with: { url: "${input.imageUrl}" }
    timeout: 250ms
  - id: detect
    uses: yolo.detect
    needs: fetch
    with: { url: "http://yolo", confidence: 0.4, classes: [cat] }
    concurrency: 8
    retry: { max_attempts: 5, delay: 1s }
  - id: parse
    uses: llm.parse
    needs: [fetch]
    optional: true
    with: { prompt: "describe ${stages.fetch.output.name}", model: small }
)");
  ASSERT_TRUE(result.ok()) << all(result);
  const PipelineSpec& spec = *result.spec;
  EXPECT_EQ(spec.file, "p.yaml");
  EXPECT_EQ(spec.name, "demo");
  EXPECT_EQ(spec.version, "1.0");
  EXPECT_EQ(spec.description, "fan out, fan in");
  EXPECT_EQ(spec.stage_timeout_ms, 5000);
  EXPECT_EQ(spec.deadline_ms, 120000);
  EXPECT_EQ(spec.retry.max_attempts, 4);
  EXPECT_EQ(spec.retry.delay_ms, 500);
  EXPECT_TRUE(spec.cache.enabled);
  EXPECT_EQ(spec.cache.ttl_seconds, 3600);
  EXPECT_EQ(
      spec.input_schema_json,
      R"({"type":"object","required":["imageUrl"],"properties":{"imageUrl":{"type":"string"}}})");
  ASSERT_EQ(spec.stages.size(), 4u);
  EXPECT_EQ(spec.stages[0].id, "fetch");
  EXPECT_EQ(spec.stages[1].id, "detect");
  EXPECT_EQ(spec.stages[2].id, "parse");
  EXPECT_EQ(spec.stages[3].id, "merge");
  EXPECT_TRUE(spec.stages[0].needs.empty());
  EXPECT_EQ(spec.stages[1].needs, (std::vector<size_t>{0}));
  EXPECT_EQ(spec.stages[2].needs, (std::vector<size_t>{0}));
  EXPECT_EQ(spec.stages[3].needs, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(spec.stages[3].mark.line, 11);
  EXPECT_EQ(spec.stages[3].mark.column, 5);
  EXPECT_EQ(spec.stages[0].timeout_ms, 250);
  EXPECT_EQ(spec.stages[1].timeout_ms, 5000);
  EXPECT_EQ(spec.stages[1].concurrency, 8);
  ASSERT_TRUE(spec.stages[1].retry.has_value());
  EXPECT_EQ(spec.stages[1].retry->max_attempts, 5);
  EXPECT_EQ(spec.stages[1].retry->delay_ms, 1000);
  EXPECT_FALSE(spec.stages[0].retry.has_value());
  EXPECT_TRUE(spec.stages[2].optional);
  EXPECT_EQ(spec.stages[1].with_json,
            R"({"url":"http://yolo","confidence":0.4,"classes":["cat"]})");
  EXPECT_EQ(spec.stages[3].with_json,
            R"({"a":"${stages.detect.output}","b":"${stages.parse.output.text}"})");
  EXPECT_TRUE(spec.stages[1].with.is_constant());
  EXPECT_EQ(spec.stages[3].with.referenced_stages(), (std::vector<size_t>{1, 2}));
  // No `output:`: the only terminal stage's output.
  Json parse_out;
  ASSERT_TRUE(parse_json(R"({"text":"hi"})", parse_out));
  Json merge_out;
  ASSERT_TRUE(parse_json(R"({"done":true})", merge_out));
  const JsonValue* outputs[4] = {nullptr, nullptr, &parse_out, &merge_out};
  TemplateContext context;
  context.stage_outputs = outputs;
  std::string rendered, error;
  ASSERT_TRUE(spec.output.render(context, rendered, error)) << error;
  EXPECT_EQ(rendered, R"({"done":true})");
  ASSERT_TRUE(spec.stages[3].with.render(context, rendered, error)) << error;
  EXPECT_EQ(rendered, R"({"a":null,"b":"hi"})");
}

TEST(PipelineLoader, SeveralTerminalStagesGiveAnObjectOutput) {
  auto result = load(std::string(kHeader) + R"(stages:
  - { id: a, uses: merge }
  - { id: b, uses: merge }
)");
  ASSERT_TRUE(result.ok()) << all(result);
  Json a, b;
  ASSERT_TRUE(parse_json("1", a));
  ASSERT_TRUE(parse_json("[2]", b));
  const JsonValue* outputs[2] = {&a, &b};
  TemplateContext context;
  context.stage_outputs = outputs;
  std::string rendered, error;
  ASSERT_TRUE(result.spec->output.render(context, rendered, error));
  EXPECT_EQ(rendered, R"({"a":1,"b":[2]})");
  EXPECT_EQ(result.spec->stages[0].timeout_ms, 30000);
}

TEST(PipelineLoader, ExplicitOutputTemplate) {
  auto result = load(std::string(kHeader) + R"(stages:
  - { id: a, uses: merge }
output: { first: "${stages.a.output.items.0}", job: "${job.id}" }
)");
  ASSERT_TRUE(result.ok()) << all(result);
  Json a;
  ASSERT_TRUE(parse_json(R"({"items":["x"]})", a));
  const JsonValue* outputs[1] = {&a};
  TemplateContext context;
  context.stage_outputs = outputs;
  context.job_id = "j1";
  std::string rendered, error;
  ASSERT_TRUE(result.spec->output.render(context, rendered, error));
  EXPECT_EQ(rendered, R"({"first":"x","job":"j1"})");
}

TEST(PipelineLoader, MalformedYamlUsesTheParserMark) {
  EXPECT_EQ(only(load("name: demo\nstages: [a, b\n")),
            "p.yaml:3:1: malformed YAML: end of sequence flow not found");
}

TEST(PipelineLoader, UnknownKeysAtEveryLevelListTheAllowedKeys) {
  auto result = load(std::string(kHeader) + R"(colour: red
defaults: { timout: 5s }
cache: { enabled: true, size: 3 }
stages:
  - id: a
    uses: merge
    with: {}
    retries: 3
    retry: { max_attempts: 2, wait: 1s }
)");
  ASSERT_EQ(result.diagnostics.size(), 5u) << all(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "p.yaml:3:1: unknown key 'colour' in the pipeline; allowed keys: name, version, "
            "description, input, defaults, cache, stages, output");
  EXPECT_EQ(
      result.diagnostics[1].to_string(),
      "p.yaml:4:13: unknown key 'timout' in defaults; allowed keys: timeout, deadline, retry");
  EXPECT_EQ(result.diagnostics[2].to_string(),
            "p.yaml:5:25: unknown key 'size' in cache; allowed keys: enabled, ttl");
  EXPECT_EQ(result.diagnostics[3].to_string(),
            "p.yaml:10:5: unknown key 'retries' in stage 'a'; allowed keys: id, uses, needs, with, "
            "timeout, concurrency, optional, retry");
  EXPECT_EQ(
      result.diagnostics[4].to_string(),
      "p.yaml:11:31: unknown key 'wait' in stage 'a': retry; allowed keys: max_attempts, delay");
}

TEST(PipelineLoader, WrongTypesExplainTheExpectedForm) {
  auto result = load(std::string(kHeader) + R"(stages:
  - id: a
    uses: merge
    concurrency: many
    timeout: fast
    optional: maybe
)");
  ASSERT_EQ(result.diagnostics.size(), 3u) << all(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "p.yaml:6:18: stage 'a': concurrency must be a whole number from 0 to 2147483647, got "
            "'many'");
  EXPECT_EQ(result.diagnostics[1].to_string(),
            "p.yaml:7:14: stage 'a': timeout must be a duration like 250ms, 30s, 5m or 1h (or an "
            "integer number of milliseconds), got 'fast'");
  EXPECT_EQ(result.diagnostics[2].to_string(),
            "p.yaml:8:15: stage 'a': optional must be true or false, got 'maybe'");
}

TEST(PipelineLoader, MissingRequiredFieldsAndBadIds) {
  auto result = load(R"(name: Bad-Name
stages:
  - uses: merge
  - id: b
)");
  ASSERT_EQ(result.diagnostics.size(), 4u) << all(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "p.yaml:1:1: the pipeline needs a version, e.g. version: \"1.0.0\"");
  EXPECT_EQ(result.diagnostics[1].to_string(),
            "p.yaml:1:7: name 'Bad-Name' may only use lowercase letters, digits and '_'");
  EXPECT_EQ(result.diagnostics[2].to_string(), "p.yaml:3:5: stage 1 needs an id, e.g. id: detect");
  EXPECT_EQ(result.diagnostics[3].to_string(),
            "p.yaml:4:5: stage 'b' needs a stage type, e.g. uses: http.fetch");
}

TEST(PipelineLoader, EmptyStagesIsAnError) {
  EXPECT_EQ(only(load(std::string(kHeader) + "stages: []\n")),
            "p.yaml:3:9: stages must be a non-empty list of stages, got a list");
}

TEST(PipelineLoader, UnknownStageTypeSuggestsNearestName) {
  auto result = load(std::string(kHeader) + R"(stages:
  - { id: a, uses: yolo.detetc, with: { url: x } }
  - { id: b, uses: completely.different }
)");
  ASSERT_EQ(result.diagnostics.size(), 2u) << all(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "p.yaml:4:20: unknown stage type 'yolo.detetc'; did you mean 'yolo.detect'?");
  EXPECT_EQ(result.diagnostics[1].to_string(),
            "p.yaml:5:20: unknown stage type 'completely.different'; `aiw plugins` lists the stage "
            "types");
}

TEST(PipelineLoader, DuplicateStageIdPointsAtTheSecondAndNamesTheFirstLine) {
  EXPECT_EQ(only(load(std::string(kHeader) + R"(stages:
  - id: a
    uses: merge
  - id: a
    uses: merge
)")),
            "p.yaml:6:9: duplicate stage id 'a' (first declared on line 4)");
}

TEST(PipelineLoader, UnknownNeedsIdSuggestsAStage) {
  EXPECT_EQ(only(load(std::string(kHeader) + R"(stages:
  - { id: fetch, uses: merge }
  - { id: b, uses: merge, needs: [fecth] }
)")),
            "p.yaml:5:35: stage 'b' needs 'fecth', which is not a stage of this pipeline; did you "
            "mean 'fetch'?");
}

TEST(PipelineLoader, CycleNamesTheStagesOnIt) {
  auto result = load(std::string(kHeader) + R"(stages:
  - { id: a, uses: merge, needs: b }
  - { id: b, uses: merge, needs: [c] }
  - { id: c, uses: merge, needs: [a] }
  - { id: d, uses: merge, needs: [d] }
  - { id: e, uses: merge, needs: [a] }
)");
  ASSERT_EQ(result.diagnostics.size(), 2u) << all(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "p.yaml:4:34: stages form a cycle: a -> b -> c -> a (each needs the next); remove one "
            "of these needs");
  EXPECT_EQ(
      result.diagnostics[1].to_string(),
      "p.yaml:7:35: stages form a cycle: d -> d (each needs the next); remove one of these needs");
}

TEST(PipelineLoader, ParametersFailingTheSchemaPointAtTheParameter) {
  auto result = load(std::string(kHeader) + R"(stages:
  - id: a
    uses: yolo.detect
    with:
      url: "http://yolo"
      confidence: 3
      classes: [cat, 7]
      colour: red
  - id: b
    uses: http.fetch
    with: {}
  - id: c
    uses: llm.parse
    with: { model: huge }
)");
  ASSERT_EQ(result.diagnostics.size(), 5u) << all(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "p.yaml:8:19: stage 'a' (yolo.detect): parameter /confidence must be <= 1, got 3");
  EXPECT_EQ(
      result.diagnostics[1].to_string(),
      "p.yaml:9:22: stage 'a' (yolo.detect): parameter /classes/1 must be a string, got integer 7");
  EXPECT_EQ(result.diagnostics[2].to_string(),
            "p.yaml:10:15: stage 'a' (yolo.detect): parameter /colour is not an allowed property "
            "(allowed: classes, confidence, url)");
  EXPECT_EQ(result.diagnostics[3].to_string(),
            "p.yaml:13:5: stage 'b' (http.fetch): parameters missing required property 'url'");
  EXPECT_EQ(result.diagnostics[4].to_string(),
            "p.yaml:16:20: stage 'c' (llm.parse): parameter /model must be one of \"small\", "
            "\"large\", got \"huge\"");
}

TEST(PipelineLoader, ReferencesAreAcceptedForAnyTypeButInterpolationsAreStrings) {
  auto result = load(std::string(kHeader) + R"(stages:
  - id: a
    uses: yolo.detect
    with: { url: "${input.url}", confidence: "${input.confidence}", classes: "${input.classes}" }
  - id: b
    uses: yolo.detect
    with: { url: x, confidence: "0.${input.c}" }
)");
  EXPECT_EQ(only(result),
            "p.yaml:9:33: stage 'b' (yolo.detect): parameter /confidence must be a number, "
            "got a string \"0.${input.c}\"");
}

TEST(PipelineLoader, ReferenceToAStageThatIsNotUpstreamIsAnError) {
  auto result = load(std::string(kHeader) + R"(stages:
  - { id: a, uses: merge }
  - { id: b, uses: merge, needs: [a] }
  - { id: c, uses: merge, needs: [b], with: { x: "${stages.a.output}", y: "${stages.d.output}" } }
  - { id: d, uses: merge, with: { z: "${stages.c.output.v}", w: "${stages.zz.output}" } }
)");
  ASSERT_EQ(result.diagnostics.size(), 3u) << all(result);
  // c reads a through b: transitive upstream is fine; d is not upstream of c.
  EXPECT_EQ(
      result.diagnostics[0].to_string(),
      "p.yaml:6:75: stage 'c': reference ${stages.d.output}: stage 'd' is not upstream of stage "
      "'c'; add it to needs (directly or through a stage it needs)");
  EXPECT_EQ(
      result.diagnostics[1].to_string(),
      "p.yaml:7:38: stage 'd': reference ${stages.c.output.v}: stage 'c' is not upstream of stage "
      "'d'; add it to needs (directly or through a stage it needs)");
  EXPECT_EQ(result.diagnostics[2].to_string(),
            "p.yaml:7:65: stage 'd': reference ${stages.zz.output}: there is no stage 'zz'");
}

TEST(PipelineLoader, UnknownReferenceRootAndMalformedReference) {
  auto result = load(std::string(kHeader) + R"(stages:
  - id: a
    uses: merge
    with:
      x: "${secrets.key}"
      y: "abc ${input.x"
output: "${stages.a}"
)");
  ASSERT_EQ(result.diagnostics.size(), 3u) << all(result);
  EXPECT_EQ(
      result.diagnostics[0].to_string(),
      "p.yaml:7:10: stage 'a': unknown reference root 'secrets' in ${secrets.key}; references "
      "start with input, stages, env or job");
  EXPECT_EQ(result.diagnostics[1].to_string(),
            "p.yaml:8:10: stage 'a': '${' is not closed in \"abc ${input.x\"; write ${input.name} "
            "(or $${ "
            "for a literal ${)");
  EXPECT_EQ(
      result.diagnostics[2].to_string(),
      "p.yaml:9:9: output: malformed reference ${stages.a}; a stage's result is ${stages.a.output} "
      "or a path below it, e.g. ${stages.a.output.field}");
}

TEST(PipelineLoader, UnsetEnvironmentVariableWithoutDefaultIsNamed) {
  ::unsetenv("AIW_TEST_UNSET_VAR");
  ::setenv("AIW_TEST_SET_VAR", "http://set", 1);
  auto result = load(std::string(kHeader) + R"(stages:
  - id: a
    uses: http.fetch
    with: { url: "${env.AIW_TEST_UNSET_VAR}" }
  - id: b
    uses: http.fetch
    with: { url: "${env.AIW_TEST_UNSET_VAR:-http://default}" }
  - id: c
    uses: http.fetch
    with: { url: "${env.AIW_TEST_SET_VAR}/x" }
)");
  EXPECT_EQ(
      only(result),
      "p.yaml:6:18: stage 'a': environment variable AIW_TEST_UNSET_VAR is not set; set it or give "
      "a default with ${env.AIW_TEST_UNSET_VAR:-default}");
}

TEST(PipelineLoader, EnvironmentIsResolvedAtLoad) {
  ::setenv("AIW_TEST_SET_VAR", "http://set", 1);
  auto result = load(std::string(kHeader) + R"(stages:
  - { id: a, uses: http.fetch, with: { url: "${env.AIW_TEST_SET_VAR}/x" } }
  - { id: b, uses: http.fetch, with: { url: "${env.AIW_TEST_NOPE:-http://d}" } }
)");
  ASSERT_TRUE(result.ok()) << all(result);
  EXPECT_EQ(result.spec->stages[0].with.constant_json(), R"({"url":"http://set/x"})");
  EXPECT_EQ(result.spec->stages[0].with_json, R"({"url":"${env.AIW_TEST_SET_VAR}/x"})");
  EXPECT_EQ(result.spec->stages[1].with.constant_json(), R"({"url":"http://d"})");
}

TEST(PipelineLoader, InputSchemaMustBeEnforceable) {
  EXPECT_EQ(only(load(std::string(kHeader) + R"(input:
  type: object
  properties: { a: { $ref: "#/x" } }
stages: [{ id: a, uses: merge }]
)"))
                .substr(0, 76),
            "p.yaml:4:3: input is not a JSON Schema aiw can enforce: schema /properties/a");
}

TEST(PipelineLoader, CollectsAllProblemsInFileOrder) {
  auto result = load(std::string(kHeader) + R"(stages:
  - { id: a, uses: yolo.detetc }
  - { id: a, uses: merge, needs: [zz], timeout: soon }
)");
  ASSERT_EQ(result.diagnostics.size(), 4u) << all(result);
  EXPECT_EQ(result.diagnostics[0].mark.line, 4);
  EXPECT_EQ(result.diagnostics[1].mark.line, 5);
  EXPECT_EQ(result.diagnostics[2].mark.line, 5);
  EXPECT_EQ(result.diagnostics[3].mark.line, 5);
}

// --- Hostile files: each must end quickly with one clear sentence.

template <typename F>
void expect_fast(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PipelineLoader, DeepFlowNestingIsRefusedWithoutCrashing) {
  expect_fast([] {
    std::string yaml =
        "name: demo\nx: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
    LoadLimits limits;
    limits.max_file_bytes = 1 << 20;
    auto result = load(yaml, limits);
    ASSERT_EQ(result.diagnostics.size(), 1u) << all(result);
    EXPECT_NE(result.diagnostics[0].message.find("nesting is deeper than 64 levels"),
              std::string::npos)
        << all(result);
  });
}

TEST(PipelineLoader, NestingDeeperThanTheLimitIsRefused) {
  std::string yaml = std::string(kHeader) +
                     "stages:\n  - { id: a, uses: merge, with: { x: " + std::string(100, '[') +
                     std::string(100, ']') + " } }\n";
  EXPECT_EQ(only(load(yaml)),
            "p.yaml:4:98: nesting is deeper than 64 levels of mappings and lists; "
            "flatten the document");
}

TEST(PipelineLoader, BillionLaughsAliasesStopAtTheNodeLimit) {
  expect_fast([] {
    std::string yaml =
        std::string(kHeader) + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int i = 1; i < 10; ++i) {
      yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
      for (int j = 0; j < 10; ++j)
        yaml += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
      yaml += "]\n";
    }
    auto result = load(yaml);
    ASSERT_EQ(result.diagnostics.size(), 1u) << all(result);
    EXPECT_NE(result.diagnostics[0].message.find("expands to more than 100000 values"),
              std::string::npos)
        << all(result);
  });
}

TEST(PipelineLoader, FileOverTheSizeLimitIsRefusedBeforeParsing) {
  expect_fast([] {
    std::string path = ::testing::TempDir() + "aiw_big_pipeline.yaml";
    {
      std::ofstream out(path);
      out << "name: demo\ndescription: \"" << std::string(2 << 20, 'x') << "\"\n";
    }
    TestCatalog catalog;
    auto result = load_pipeline_file(path, catalog);
    std::remove(path.c_str());
    ASSERT_EQ(result.diagnostics.size(), 1u);
    EXPECT_EQ(
        result.diagnostics[0].to_string(),
        path + ":1:1: the file is 2097179 bytes, over the limit of 1048576 bytes for a pipeline");
    EXPECT_EQ(load(std::string(3 << 20, '#')).diagnostics.size(), 1u);
  });
}

TEST(PipelineLoader, LoadsFromAFile) {
  std::string path = ::testing::TempDir() + "aiw_small_pipeline.yaml";
  {
    std::ofstream out(path);
    out << kHeader << "stages: [{ id: a, uses: merge }]\n";
  }
  TestCatalog catalog;
  auto result = load_pipeline_file(path, catalog);
  std::remove(path.c_str());
  ASSERT_TRUE(result.ok()) << all(result);
  EXPECT_EQ(result.spec->file, path);
  auto missing = load_pipeline_file(path + ".nope", catalog);
  EXPECT_FALSE(missing.ok());
}

TEST(PipelineLoader, NonMappingDocumentIsRefused) {
  EXPECT_EQ(only(load("- a\n- b\n")),
            "p.yaml:1:1: a pipeline file must be a mapping with name, version and stages");
  EXPECT_EQ(only(load("")),
            "p.yaml:1:1: a pipeline file must be a mapping with name, version and stages");
}

}  // namespace
}  // namespace aiw::pipeline
