// Schema: a compiled JSON Schema (the subset aiw uses) that validates documents quickly.
//
// Used for stage parameters at pipeline load and for job inputs at the gateway, so a schema is
// compiled once and then validated against many documents without re-reading its JSON.
//
// Supported keywords: type (a name or an array of names; "integer" accepts any number with no
// fractional part), properties, required, additionalProperties (bool or schema), items (schema),
// enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum (number, or the draft-4
// boolean form), minLength, maxLength (in Unicode code points), minItems, maxItems, pattern
// (ECMAScript, searched anywhere in the string), anyOf, oneOf. Annotations are ignored: default,
// description, title, $schema, $id, $comment, examples, format. Any other keyword is refused at
// compile time: silently ignoring it would accept documents the author meant to reject.
//
//   auto schema = aiw::json::Schema::compile_text(R"({"type":"object","required":["url"]})");
//   std::vector<aiw::json::SchemaError> errors;
//   schema->validate(doc, errors);   // errors[0]: {"", "missing required property 'url'"}
#pragma once

#include <aiw/json.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aiw::json {

// One reason a document breaks its schema: where (a JSON pointer, "" for the whole document)
// and why, as a sentence ("must be <= 1, got 3").
struct SchemaError {
  std::string pointer;
  std::string message;
  std::string to_string() const;  // "/confidence: must be <= 1, got 3"
};

// How the validator should treat a value whose content is not known yet (a pipeline parameter
// that is a ${...} reference, resolved per job).
enum class Deferral {
  kNone,           // an ordinary value: validate it
  kAnyValue,       // a whole-value reference: it may become any JSON value, accept it
  kUnknownString,  // a string with interpolations: it is a string, but its text is unknown
};
using DeferralFn = std::function<Deferral(const JsonValue&)>;

namespace internal {
struct SchemaNode;
}

class Schema {
 public:
  // A default Schema accepts every document (like the schema `true`).
  Schema();
  ~Schema();
  Schema(const Schema&);
  Schema& operator=(const Schema&);
  Schema(Schema&&) noexcept;
  Schema& operator=(Schema&&) noexcept;

  // Compiles a schema; the error names the JSON pointer inside the schema and the problem.
  static Result<Schema> compile(const JsonValue& schema);
  static Result<Schema> compile_text(std::string_view schema_json);

  // Appends every violation found to errors (none when the document is valid).
  void validate(const JsonValue& doc, std::vector<SchemaError>& errors,
                const DeferralFn* deferral = nullptr) const;
  bool is_valid(const JsonValue& doc) const;

 private:
  // Shared because a compiled schema is immutable: copies are cheap and thread-safe to use.
  std::shared_ptr<const internal::SchemaNode> root_;
};

// Appends a JSON pointer token, escaping '~' and '/' (RFC 6901).
void append_pointer_token(std::string& pointer, std::string_view token);

}  // namespace aiw::json
