// Templates: ${...} references compiled once and rendered per job
// (framework/src/pipeline/template.h).
#include <gtest/gtest.h>

#include "pipeline/template_compiler.h"

namespace aiw::pipeline {
namespace {

// Stages "fetch" (0) and "detect" (1); env has YOLO_URL only.
class TemplateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(parse_json(R"({"imageUrl":"http://x/a.jpg","size":3,"tags":["a","b"]})", input_));
    ASSERT_TRUE(parse_json(R"({"bytes":42})", fetch_));
    ASSERT_TRUE(parse_json(R"({"items":[{"label":"cat","score":0.9}],"count":1})", detect_));
    outputs_[0] = &fetch_;
    outputs_[1] = &detect_;
    context_.input = &input_;
    context_.stage_outputs = outputs_;
    context_.job_id = "job-7";
    context_.job_type = "sofia_image";
    context_.attempt = 2;
  }

  TemplateCompiler::Options options() {
    TemplateCompiler::Options options;
    options.resolve_stage = [](std::string_view id, std::string& error) -> std::optional<size_t> {
      if (id == "fetch") return 0;
      if (id == "detect") return 1;
      error = "there is no stage '" + std::string(id) + "'";
      return std::nullopt;
    };
    options.env = [](const std::string& name) -> std::optional<std::string> {
      if (name == "YOLO_URL") return "http://yolo:8000";
      return std::nullopt;
    };
    return options;
  }

  Template compile(const char* json, std::vector<TemplateCompiler::Error>* errors_out = nullptr) {
    Json doc;
    EXPECT_TRUE(parse_json(json, doc)) << json;
    Template out;
    std::vector<TemplateCompiler::Error> errors;
    bool ok = TemplateCompiler::compile(doc, options(), out, errors);
    if (errors_out)
      *errors_out = errors;
    else
      EXPECT_TRUE(ok) << (errors.empty() ? "" : errors[0].message);
    return out;
  }

  std::string render(const Template& t) {
    std::string out, error;
    EXPECT_TRUE(t.render(context_, out, error)) << error;
    return out;
  }

  Json input_, fetch_, detect_;
  const JsonValue* outputs_[2] = {};
  TemplateContext context_;
};

TEST_F(TemplateTest, ConstantTemplateIsPrecomputed) {
  Template t = compile(R"({"a":1,"b":["x",true,null],"c":"no refs, $5 and $${literal}"})");
  EXPECT_TRUE(t.is_constant());
  EXPECT_EQ(t.constant_json(), R"({"a":1,"b":["x",true,null],"c":"no refs, $5 and ${literal}"})");
  EXPECT_EQ(render(t), t.constant_json());
  EXPECT_TRUE(t.referenced_stages().empty());
}

TEST_F(TemplateTest, WholeValueInputReferenceKeepsJsonType) {
  EXPECT_EQ(render(compile(R"({"n":"${input.size}","t":"${input.tags}","u":"${input.imageUrl}"})")),
            R"({"n":3,"t":["a","b"],"u":"http://x/a.jpg"})");
}

TEST_F(TemplateTest, InterpolationRendersText) {
  EXPECT_EQ(render(compile(R"("n=${input.size} tags=${input.tags} url=${input.imageUrl}")")),
            R"("n=3 tags=[\"a\",\"b\"] url=http://x/a.jpg")");
}

TEST_F(TemplateTest, StageOutputPathsIncludingArrayIndices) {
  Template t = compile(
      R"({"label":"${stages.detect.output.items.0.label}","all":"${stages.fetch.output}"})");
  EXPECT_EQ(render(t), R"({"label":"cat","all":{"bytes":42}})");
  EXPECT_EQ(t.referenced_stages(), (std::vector<size_t>{0, 1}));
}

TEST_F(TemplateTest, MissingPathsRenderNullOrEmptyText) {
  EXPECT_EQ(render(compile(
                R"({"a":"${input.nope.deeper}","b":"[${stages.detect.output.items.5.label}]"})")),
            R"({"a":null,"b":"[]"})");
  outputs_[1] = nullptr;  // the stage has not produced an output
  EXPECT_EQ(render(compile(R"("${stages.detect.output.count}")")), "null");
}

TEST_F(TemplateTest, JobReferences) {
  EXPECT_EQ(
      render(compile(
          R"({"id":"${job.id}","type":"${job.type}","attempt":"${job.attempt}","s":"${job.id}#${job.attempt}"})")),
      R"({"id":"job-7","type":"sofia_image","attempt":2,"s":"job-7#2"})");
}

TEST_F(TemplateTest, JobUserIdIsTheOwnerAndNullWhenTheJobHasNone) {
  Template t = compile(R"({"owner":"${job.user_id}","s":"by ${job.user_id}"})");
  EXPECT_FALSE(t.is_constant());
  EXPECT_EQ(render(t), R"({"owner":null,"s":"by "})");
  context_.user_id = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
  EXPECT_EQ(render(t),
            R"({"owner":"6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b","s":"by 6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"})");
  Json out;
  std::string error;
  ASSERT_TRUE(t.render(context_, out, out.GetAllocator(), error)) << error;
  EXPECT_STREQ(out["owner"].GetString(), "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b");
}

TEST_F(TemplateTest, EnvIsResolvedAtCompileTimeWithDefaults) {
  Template t = compile(R"({"url":"${env.YOLO_URL}/detect","mode":"${env.MODE:-fast}"})");
  EXPECT_TRUE(t.is_constant());
  EXPECT_EQ(t.constant_json(), R"({"url":"http://yolo:8000/detect","mode":"fast"})");
}

TEST_F(TemplateTest, RendersIntoAJsonValue) {
  Template t = compile(R"({"n":"${input.size}","s":"#${input.size}","k":[1,"${job.attempt}"]})");
  Json out;
  std::string error;
  ASSERT_TRUE(t.render(context_, out, out.GetAllocator(), error)) << error;
  EXPECT_EQ(to_string(out), R"({"n":3,"s":"#3","k":[1,2]})");
}

TEST_F(TemplateTest, ErrorsNameThePointerAndTheProblem) {
  std::vector<TemplateCompiler::Error> errors;
  compile(R"({"a":"${env.UNSET_VAR}","b":["${foo.x}"],"c":"${input.x","d":"${stages.nope.output}",
             "e":"${stages.detect}","f":"${job.when}","g":"${input..x}"})",
          &errors);
  ASSERT_EQ(errors.size(), 7u);
  EXPECT_EQ(errors[0].pointer, "/a");
  EXPECT_EQ(errors[0].message,
            "environment variable UNSET_VAR is not set; set it or give a default with "
            "${env.UNSET_VAR:-default}");
  EXPECT_EQ(errors[1].pointer, "/b/0");
  EXPECT_EQ(
      errors[1].message,
      "unknown reference root 'foo' in ${foo.x}; references start with input, stages, env or job");
  EXPECT_EQ(errors[2].message,
            "'${' is not closed in \"${input.x\"; write ${input.name} (or $${ for a literal ${)");
  EXPECT_EQ(errors[3].message, "reference ${stages.nope.output}: there is no stage 'nope'");
  EXPECT_NE(errors[4].message.find("a stage's result is ${stages.detect.output}"),
            std::string::npos);
  EXPECT_EQ(errors[5].message,
            "unknown job reference ${job.when}; use ${job.id}, ${job.type}, ${job.attempt} or "
            "${job.user_id}");
  EXPECT_NE(errors[6].message.find("malformed reference ${input..x}"), std::string::npos);
}

TEST_F(TemplateTest, DeferralOfReferences) {
  Json doc;
  ASSERT_TRUE(parse_json(R"(["${input.a}","x ${input.a}","plain",3,"${env.X}"])", doc));
  EXPECT_EQ(TemplateCompiler::deferral_of(doc[0]), json::Deferral::kAnyValue);
  EXPECT_EQ(TemplateCompiler::deferral_of(doc[1]), json::Deferral::kUnknownString);
  EXPECT_EQ(TemplateCompiler::deferral_of(doc[2]), json::Deferral::kNone);
  EXPECT_EQ(TemplateCompiler::deferral_of(doc[3]), json::Deferral::kNone);
  EXPECT_EQ(TemplateCompiler::deferral_of(doc[4]), json::Deferral::kUnknownString);
}

TEST_F(TemplateTest, DefaultTemplateRendersNull) {
  Template t;
  EXPECT_TRUE(t.is_constant());
  EXPECT_EQ(render(t), "null");
}

}  // namespace
}  // namespace aiw::pipeline
