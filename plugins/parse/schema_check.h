// A pipeline's JSON Schema, compiled once with RapidJSON's validator, and the explanation of
// why a document breaks it.
#pragma once

#include <aiw/json.h>
#include <rapidjson/schema.h>

#include <memory>
#include <string>
#include <vector>

namespace parse {

class CompiledSchema {
 public:
  // How many problems one error message lists: enough to fix a prompt, short enough to read.
  static constexpr size_t kMaxProblems = 5;

  // Copies schema (RapidJSON's schema document points into it, and problem sentences quote it).
  explicit CompiledSchema(const aiw::JsonValue& schema);
  CompiledSchema(const CompiledSchema&) = delete;
  CompiledSchema& operator=(const CompiledSchema&) = delete;

  const aiw::JsonValue& json() const { return schema_; }

  // Empty when doc satisfies the schema. Otherwise at most kMaxProblems sentences
  // "<JSON pointer>: <what was expected>", RapidJSON's verdict first. RapidJSON 1.1 stops at
  // the first violation, so the others come from a walk of the common keywords (type,
  // required, enum) along properties and items; RapidJSON alone decides valid or not.
  std::vector<std::string> problems(const aiw::JsonValue& doc) const;

 private:
  aiw::Json schema_;
  std::unique_ptr<rapidjson::SchemaDocument> document_;
};

}  // namespace parse
