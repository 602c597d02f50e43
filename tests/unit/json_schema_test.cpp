// The JSON Schema subset validator (framework/src/json/schema.h).
#include <gtest/gtest.h>

#include "json/schema.h"

namespace aiw::json {
namespace {

Schema compile_ok(const char* text) {
  Result<Schema> schema = Schema::compile_text(text);
  EXPECT_TRUE(schema.ok()) << schema.error();
  return schema.ok() ? schema.value() : Schema();
}

std::vector<SchemaError> errors_of(const Schema& schema, const char* doc_text,
                                   const DeferralFn* deferral = nullptr) {
  Json doc;
  EXPECT_TRUE(parse_json(doc_text, doc)) << doc_text;
  std::vector<SchemaError> errors;
  schema.validate(doc, errors, deferral);
  return errors;
}

std::string joined(const std::vector<SchemaError>& errors) {
  std::string text;
  for (const auto& e : errors) text += e.to_string() + "\n";
  return text;
}

TEST(JsonSchema, TypeDistinguishesIntegerFromNumber) {
  Schema schema = compile_ok(R"({"type":"integer"})");
  EXPECT_TRUE(errors_of(schema, "3").empty());
  EXPECT_TRUE(errors_of(schema, "3.0").empty());
  auto errors = errors_of(schema, "3.5");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "");
  EXPECT_EQ(errors[0].message, "must be an integer, got number 3.5");
  EXPECT_TRUE(errors_of(compile_ok(R"({"type":"number"})"), "7").empty());
}

TEST(JsonSchema, TypeArrayAcceptsAnyListedType) {
  Schema schema = compile_ok(R"({"type":["string","null"]})");
  EXPECT_TRUE(errors_of(schema, "null").empty());
  EXPECT_TRUE(errors_of(schema, "\"x\"").empty());
  auto errors = errors_of(schema, "true");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "must be null or a string, got boolean true");
}

TEST(JsonSchema, PropertiesRequiredAndAdditionalPropertiesNameThePointer) {
  Schema schema = compile_ok(R"({"type":"object","required":["url"],
      "properties":{"url":{"type":"string"},"n":{"type":"integer","minimum":1}},
      "additionalProperties":false})");
  auto errors = errors_of(schema, R"({"n":0,"extra":1})");
  ASSERT_EQ(errors.size(), 3u) << joined(errors);
  EXPECT_EQ(errors[0].to_string(), "(root): missing required property 'url'");
  EXPECT_EQ(errors[1].to_string(), "/n: must be >= 1, got 0");
  EXPECT_EQ(errors[2].to_string(), "/extra: is not an allowed property (allowed: n, url)");
}

TEST(JsonSchema, AdditionalPropertiesSchemaValidatesExtraMembers) {
  Schema schema = compile_ok(R"({"additionalProperties":{"type":"number"}})");
  auto errors = errors_of(schema, R"({"a":1,"b":"x"})");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/b");
}

TEST(JsonSchema, ItemsAndArrayLengthBounds) {
  Schema schema =
      compile_ok(R"({"type":"array","items":{"type":"string"},"minItems":1,"maxItems":2})");
  EXPECT_TRUE(errors_of(schema, R"(["a"])").empty());
  EXPECT_EQ(errors_of(schema, "[]")[0].message, "must have at least 1 items, got 0");
  EXPECT_EQ(errors_of(schema, R"(["a","b","c"])")[0].message, "must have at most 2 items, got 3");
  auto errors = errors_of(schema, R"(["a",5])");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "/1: must be a string, got integer 5");
}

TEST(JsonSchema, NumericBoundsIncludingExclusiveForms) {
  Schema schema = compile_ok(R"({"minimum":0,"maximum":1})");
  EXPECT_EQ(errors_of(schema, "3")[0].message, "must be <= 1, got 3");
  EXPECT_EQ(errors_of(schema, "-0.5")[0].message, "must be >= 0, got -0.5");
  Schema exclusive = compile_ok(R"({"exclusiveMinimum":0,"exclusiveMaximum":1})");
  EXPECT_EQ(errors_of(exclusive, "0")[0].message, "must be > 0, got 0");
  EXPECT_EQ(errors_of(exclusive, "1")[0].message, "must be < 1, got 1");
  Schema draft4 = compile_ok(R"({"minimum":0,"exclusiveMinimum":true})");
  EXPECT_EQ(errors_of(draft4, "0")[0].message, "must be > 0, got 0");
}

TEST(JsonSchema, StringLengthCountsCodePointsAndPatternSearches) {
  Schema schema =
      compile_ok(R"({"type":"string","minLength":2,"maxLength":3,"pattern":"^[a-zé]+$"})");
  EXPECT_TRUE(errors_of(schema, "\"éé\"").empty());
  EXPECT_EQ(errors_of(schema, "\"a\"")[0].message, "must be at least 2 characters long, got 1");
  EXPECT_EQ(errors_of(schema, "\"abcd\"")[0].message, "must be at most 3 characters long, got 4");
  EXPECT_EQ(errors_of(schema, "\"A1\"")[0].message, "must match the pattern ^[a-zé]+$, got \"A1\"");
}

TEST(JsonSchema, EnumAndConst) {
  Schema schema = compile_ok(R"({"enum":["small","large",1]})");
  EXPECT_TRUE(errors_of(schema, "1").empty());
  EXPECT_EQ(errors_of(schema, "\"huge\"")[0].message,
            "must be one of \"small\", \"large\", 1, got \"huge\"");
  Schema constant = compile_ok(R"({"const":{"a":1}})");
  EXPECT_TRUE(errors_of(constant, R"({"a":1})").empty());
  EXPECT_EQ(errors_of(constant, R"({"a":2})")[0].message, "must be {\"a\":1}, got {\"a\":2}");
}

TEST(JsonSchema, AnyOfAndOneOf) {
  Schema any = compile_ok(R"({"anyOf":[{"type":"string"},{"type":"integer","minimum":0}]})");
  EXPECT_TRUE(errors_of(any, "\"x\"").empty());
  EXPECT_TRUE(errors_of(any, "4").empty());
  auto errors = errors_of(any, "-1");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message,
            "matches none of the 2 allowed forms (the first says: (root): must be a string, got "
            "integer -1)");
  Schema one = compile_ok(R"({"oneOf":[{"type":"number"},{"type":"integer"}]})");
  EXPECT_TRUE(errors_of(one, "1.5").empty());
  EXPECT_EQ(errors_of(one, "2")[0].message,
            "must match exactly one of the 2 allowed forms, matches 2");
}

TEST(JsonSchema, AnnotationsAreIgnoredAndUnknownKeywordsRefused) {
  EXPECT_TRUE(Schema::compile_text(
                  R"({"$schema":"x","title":"t","description":"d","default":1,"examples":[1]})")
                  .ok());
  auto refused = Schema::compile_text(R"({"properties":{"a":{"$ref":"#/x"}}})");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("schema /properties/a/$ref: unsupported keyword '$ref'"),
            std::string::npos)
      << refused.error();
}

TEST(JsonSchema, MalformedSchemasAreRefusedWithAPointer) {
  EXPECT_EQ(Schema::compile_text(R"({"type":"text"})").error(),
            "schema /type: unknown type \"text\" (use null, boolean, integer, number, string, "
            "array, object)");
  EXPECT_EQ(Schema::compile_text(R"({"minLength":-1})").error(),
            "schema /minLength: must be a non-negative integer");
  EXPECT_FALSE(Schema::compile_text(R"({"pattern":"("})").ok());
  EXPECT_FALSE(Schema::compile_text("[1]").ok());
  EXPECT_FALSE(Schema::compile_text("{").ok());
}

TEST(JsonSchema, BooleanSchemas) {
  EXPECT_TRUE(errors_of(compile_ok("true"), "1").empty());
  EXPECT_EQ(errors_of(compile_ok(R"({"properties":{"a":false}})"), R"({"a":1})")[0].to_string(),
            "/a: is not allowed here");
}

TEST(JsonSchema, PointerTokensAreEscaped) {
  Schema schema = compile_ok(R"({"additionalProperties":{"type":"string"}})");
  EXPECT_EQ(errors_of(schema, R"({"a/b~c":1})")[0].pointer, "/a~1b~0c");
}

TEST(JsonSchema, DeferredValuesSkipChecksTheyCannotMakeYet) {
  Schema schema = compile_ok(
      R"({"properties":{"n":{"type":"integer"},"s":{"type":"string","pattern":"^http"}}})");
  DeferralFn deferral = [](const JsonValue& v) {
    if (!v.IsString()) return Deferral::kNone;
    std::string_view s(v.GetString(), v.GetStringLength());
    if (s == "${whole}") return Deferral::kAnyValue;
    return s.find("${") != std::string_view::npos ? Deferral::kUnknownString : Deferral::kNone;
  };
  EXPECT_TRUE(errors_of(schema, R"({"n":"${whole}","s":"${x}/path"})", &deferral).empty());
  auto errors = errors_of(schema, R"({"n":"id-${x}"})", &deferral);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "/n: must be an integer, got a string \"id-${x}\"");
}

TEST(JsonSchema, CompiledSchemaIsCopyableAndDefaultAcceptsAll) {
  Schema schema = compile_ok(R"({"type":"string"})");
  Schema copy = schema;
  Json doc;
  doc.SetInt(1);
  EXPECT_FALSE(copy.is_valid(doc));
  EXPECT_TRUE(Schema().is_valid(doc));
}

}  // namespace
}  // namespace aiw::json
