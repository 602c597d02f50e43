// Internal: the compiled form of a JSON Schema (see schema.h). Not part of any API.
#pragma once

#include <aiw/json.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace aiw::json::internal {

// Bits of SchemaNode::types.
enum TypeBit : uint8_t {
  kNullBit = 1,
  kBooleanBit = 2,
  kIntegerBit = 4,
  kNumberBit = 8,  // includes integers
  kStringBit = 16,
  kArrayBit = 32,
  kObjectBit = 64,
  kAllTypes = 127,
};

struct SchemaNode {
  bool reject_all = false;  // the schema `false`
  uint8_t types = kAllTypes;

  // Sorted by name so that validation looks a member up by binary search.
  std::vector<std::pair<std::string, std::unique_ptr<SchemaNode>>> properties;
  std::vector<std::string> required;
  bool additional_allowed = true;
  std::unique_ptr<SchemaNode> additional;  // when additionalProperties is a schema
  std::unique_ptr<SchemaNode> items;

  // enum and const values live in storage's allocator.
  std::vector<const JsonValue*> enum_values;
  const JsonValue* const_value = nullptr;
  std::unique_ptr<rapidjson::Document> storage;

  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::optional<size_t> min_length, max_length, min_items, max_items;
  std::optional<std::regex> pattern;
  std::string pattern_source;

  std::vector<std::unique_ptr<SchemaNode>> any_of, one_of;

  const SchemaNode* find_property(std::string_view name) const;
};

// The JSON Schema name of a value's type ("integer" for whole numbers).
const char* type_name(const JsonValue& value);

}  // namespace aiw::json::internal
