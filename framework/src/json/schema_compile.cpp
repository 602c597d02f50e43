// Compiling a JSON Schema document into SchemaNode trees (see schema.h for the subset).
#include <algorithm>
#include <cmath>
#include <string_view>

#include "json/schema.h"
#include "json/schema_node.h"

namespace aiw::json {
namespace internal {
namespace {

class Compiler {
 public:
  Status compile(const JsonValue& schema, const std::string& pointer, SchemaNode& node);

 private:
  Status keyword(std::string_view key, const JsonValue& value, const std::string& pointer,
                 SchemaNode& node);
  Status types(const JsonValue& value, const std::string& pointer, SchemaNode& node);
  Status properties(const JsonValue& value, const std::string& pointer, SchemaNode& node);
  Status sub_schema(const JsonValue& value, const std::string& pointer,
                    std::unique_ptr<SchemaNode>& out);
  Status schema_list(const JsonValue& value, const std::string& pointer,
                     std::vector<std::unique_ptr<SchemaNode>>& out);
  Status limit(const JsonValue& value, const std::string& pointer, std::optional<size_t>& out);
  Status number(const JsonValue& value, const std::string& pointer, std::optional<double>& out);
  const JsonValue* keep(const JsonValue& value, SchemaNode& node);
};

Status error_at(const std::string& pointer, const std::string& sentence) {
  return Status::error("schema " + (pointer.empty() ? std::string("root") : pointer) + ": " +
                       sentence);
}

std::string child(const std::string& pointer, std::string_view token) {
  std::string out = pointer;
  append_pointer_token(out, token);
  return out;
}

bool is_annotation(std::string_view key) {
  static constexpr std::string_view kIgnored[] = {"default", "description", "title",    "$schema",
                                                  "$id",     "$comment",    "examples", "format"};
  return std::find(std::begin(kIgnored), std::end(kIgnored), key) != std::end(kIgnored);
}

Status Compiler::compile(const JsonValue& schema, const std::string& pointer, SchemaNode& node) {
  if (schema.IsBool()) {
    node.reject_all = !schema.GetBool();
    return {};
  }
  if (!schema.IsObject()) return error_at(pointer, "a schema must be an object or a boolean");
  for (auto it = schema.MemberBegin(); it != schema.MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (is_annotation(key)) continue;
    Status status = keyword(key, it->value, child(pointer, key), node);
    if (!status.ok()) return status;
  }
  // Draft-4 form: exclusiveMinimum: true turns minimum into an exclusive bound.
  if (auto* flag = find_member(schema, "exclusiveMinimum"); flag && flag->IsBool()) {
    if (flag->GetBool() && node.minimum) std::swap(node.minimum, node.exclusive_minimum);
  }
  if (auto* flag = find_member(schema, "exclusiveMaximum"); flag && flag->IsBool()) {
    if (flag->GetBool() && node.maximum) std::swap(node.maximum, node.exclusive_maximum);
  }
  return {};
}

Status Compiler::keyword(std::string_view key, const JsonValue& value, const std::string& pointer,
                         SchemaNode& node) {
  if (key == "type") return types(value, pointer, node);
  if (key == "properties") return properties(value, pointer, node);
  if (key == "required") {
    if (!value.IsArray()) return error_at(pointer, "'required' must be an array of strings");
    for (const auto& name : value.GetArray()) {
      if (!name.IsString()) return error_at(pointer, "'required' must be an array of strings");
      node.required.emplace_back(name.GetString(), name.GetStringLength());
    }
    return {};
  }
  if (key == "additionalProperties") {
    if (value.IsBool()) {
      node.additional_allowed = value.GetBool();
      return {};
    }
    return sub_schema(value, pointer, node.additional);
  }
  if (key == "items") return sub_schema(value, pointer, node.items);
  if (key == "enum") {
    if (!value.IsArray() || value.Empty())
      return error_at(pointer, "'enum' must be a non-empty array");
    for (const auto& allowed : value.GetArray()) node.enum_values.push_back(keep(allowed, node));
    return {};
  }
  if (key == "const") {
    node.const_value = keep(value, node);
    return {};
  }
  if (key == "minimum") return number(value, pointer, node.minimum);
  if (key == "maximum") return number(value, pointer, node.maximum);
  if (key == "exclusiveMinimum")
    return value.IsBool() ? Status() : number(value, pointer, node.exclusive_minimum);
  if (key == "exclusiveMaximum")
    return value.IsBool() ? Status() : number(value, pointer, node.exclusive_maximum);
  if (key == "minLength") return limit(value, pointer, node.min_length);
  if (key == "maxLength") return limit(value, pointer, node.max_length);
  if (key == "minItems") return limit(value, pointer, node.min_items);
  if (key == "maxItems") return limit(value, pointer, node.max_items);
  if (key == "pattern") {
    if (!value.IsString()) return error_at(pointer, "'pattern' must be a string");
    node.pattern_source.assign(value.GetString(), value.GetStringLength());
    try {
      node.pattern.emplace(node.pattern_source, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return error_at(
          pointer, "'pattern' is not a valid regular expression (" + std::string(e.what()) + ")");
    }
    return {};
  }
  if (key == "anyOf") return schema_list(value, pointer, node.any_of);
  if (key == "oneOf") return schema_list(value, pointer, node.one_of);
  return error_at(pointer, "unsupported keyword '" + std::string(key) +
                               "' (aiw supports type, properties, required, additionalProperties, "
                               "items, enum, const, minimum, maximum, exclusiveMinimum, "
                               "exclusiveMaximum, minLength, maxLength, minItems, maxItems, "
                               "pattern, anyOf, oneOf)");
}

uint8_t type_bit(std::string_view name) {
  if (name == "null") return kNullBit;
  if (name == "boolean") return kBooleanBit;
  if (name == "integer") return kIntegerBit;
  if (name == "number") return kNumberBit | kIntegerBit;
  if (name == "string") return kStringBit;
  if (name == "array") return kArrayBit;
  if (name == "object") return kObjectBit;
  return 0;
}

Status Compiler::types(const JsonValue& value, const std::string& pointer, SchemaNode& node) {
  node.types = 0;
  auto add = [&](const JsonValue& name) -> Status {
    uint8_t bit = name.IsString() ? type_bit(name.GetString()) : 0;
    if (bit == 0)
      return error_at(pointer, "unknown type " + to_string(name) +
                                   " (use null, boolean, integer, number, string, array, object)");
    node.types |= bit;
    return {};
  };
  if (!value.IsArray()) return add(value);
  for (const auto& name : value.GetArray()) {
    Status status = add(name);
    if (!status.ok()) return status;
  }
  return {};
}

Status Compiler::properties(const JsonValue& value, const std::string& pointer, SchemaNode& node) {
  if (!value.IsObject()) return error_at(pointer, "'properties' must be an object");
  for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    std::unique_ptr<SchemaNode> sub;
    Status status = sub_schema(it->value, child(pointer, name), sub);
    if (!status.ok()) return status;
    node.properties.emplace_back(std::move(name), std::move(sub));
  }
  std::sort(node.properties.begin(), node.properties.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return {};
}

Status Compiler::sub_schema(const JsonValue& value, const std::string& pointer,
                            std::unique_ptr<SchemaNode>& out) {
  out = std::make_unique<SchemaNode>();
  return compile(value, pointer, *out);
}

Status Compiler::schema_list(const JsonValue& value, const std::string& pointer,
                             std::vector<std::unique_ptr<SchemaNode>>& out) {
  if (!value.IsArray() || value.Empty())
    return error_at(pointer, "must be a non-empty array of schemas");
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
    out.emplace_back();
    Status status = sub_schema(value[i], child(pointer, std::to_string(i)), out.back());
    if (!status.ok()) return status;
  }
  return {};
}

Status Compiler::limit(const JsonValue& value, const std::string& pointer,
                       std::optional<size_t>& out) {
  if (value.IsUint64()) {
    out = static_cast<size_t>(value.GetUint64());
    return {};
  }
  if (value.IsDouble() && value.GetDouble() >= 0 &&
      std::floor(value.GetDouble()) == value.GetDouble()) {
    out = static_cast<size_t>(value.GetDouble());
    return {};
  }
  return error_at(pointer, "must be a non-negative integer");
}

Status Compiler::number(const JsonValue& value, const std::string& pointer,
                        std::optional<double>& out) {
  if (!value.IsNumber()) return error_at(pointer, "must be a number");
  out = value.GetDouble();
  return {};
}

const JsonValue* Compiler::keep(const JsonValue& value, SchemaNode& node) {
  if (!node.storage) node.storage = std::make_unique<rapidjson::Document>();
  auto* copy = new (node.storage->GetAllocator().Malloc(sizeof(JsonValue)))
      JsonValue(value, node.storage->GetAllocator());
  return copy;
}

}  // namespace
}  // namespace internal

Result<Schema> Schema::compile(const JsonValue& schema) {
  auto root = std::make_shared<internal::SchemaNode>();
  internal::Compiler compiler;
  Status status = compiler.compile(schema, "", *root);
  if (!status.ok()) return status;
  Schema out;
  out.root_ = std::move(root);
  return out;
}

Result<Schema> Schema::compile_text(std::string_view schema_json) {
  Json doc;
  if (!parse_json(schema_json, doc)) return Status::error("the schema is not valid JSON");
  return compile(doc);
}

}  // namespace aiw::json
