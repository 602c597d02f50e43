// Validating documents against a compiled schema (see schema.h).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "json/schema.h"
#include "json/schema_node.h"

namespace aiw::json {
namespace internal {

const SchemaNode* SchemaNode::find_property(std::string_view name) const {
  auto it = std::lower_bound(properties.begin(), properties.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  return it != properties.end() && it->first == name ? it->second.get() : nullptr;
}

const char* type_name(const JsonValue& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "boolean";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kObjectType:
      return "object";
    case rapidjson::kNumberType:
      break;
  }
  if (value.IsInt64() || value.IsUint64()) return "integer";
  double d = value.GetDouble();
  return std::isfinite(d) && std::floor(d) == d ? "integer" : "number";
}

namespace {

uint8_t type_bits_of(const JsonValue& value) {
  std::string_view name = type_name(value);
  if (name == "integer") return kIntegerBit | kNumberBit;
  if (name == "number") return kNumberBit;
  if (name == "null") return kNullBit;
  if (name == "boolean") return kBooleanBit;
  if (name == "string") return kStringBit;
  if (name == "array") return kArrayBit;
  return kObjectBit;
}

std::string expected_types(uint8_t types) {
  static constexpr std::pair<uint8_t, const char*> kNames[] = {
      {kNullBit, "null"},       {kBooleanBit, "a boolean"}, {kNumberBit, "a number"},
      {kStringBit, "a string"}, {kArrayBit, "an array"},    {kObjectBit, "an object"}};
  std::string out;
  if ((types & kIntegerBit) && !(types & kNumberBit)) out = "an integer";
  for (const auto& [bit, name] : kNames) {
    if (!(types & bit)) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

std::string number_text(double d) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.15g", d);
  return buffer;
}

// Preview of a value for a sentence: short, so a huge document does not flood the error.
std::string preview(const JsonValue& value) {
  std::string text = to_string(value);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

size_t utf8_length(const JsonValue& s) {
  size_t count = 0;
  const char* p = s.GetString();
  for (rapidjson::SizeType i = 0; i < s.GetStringLength(); ++i)
    count += (static_cast<unsigned char>(p[i]) & 0xC0) != 0x80;
  return count;
}

class Validator {
 public:
  Validator(std::vector<SchemaError>& errors, const DeferralFn* deferral)
      : errors_(errors), deferral_(deferral) {}
  void validate(const SchemaNode& node, const JsonValue& value, std::string& pointer);

 private:
  void add(const std::string& pointer, std::string message) {
    errors_.push_back({pointer, std::move(message)});
  }
  bool check_type(const SchemaNode& node, const JsonValue& value, const std::string& pointer,
                  Deferral deferral);
  void check_values(const SchemaNode& node, const JsonValue& value, const std::string& pointer);
  void check_number(const SchemaNode& node, double d, const std::string& pointer);
  void check_string(const SchemaNode& node, const JsonValue& value, const std::string& pointer);
  void check_array(const SchemaNode& node, const JsonValue& value, std::string& pointer);
  void check_object(const SchemaNode& node, const JsonValue& value, std::string& pointer);
  void check_alternatives(const SchemaNode& node, const JsonValue& value, std::string& pointer);
  size_t count_errors(const SchemaNode& node, const JsonValue& value, std::string& pointer,
                      std::vector<SchemaError>* out);

  std::vector<SchemaError>& errors_;
  const DeferralFn* deferral_;
};

void Validator::validate(const SchemaNode& node, const JsonValue& value, std::string& pointer) {
  if (node.reject_all) return add(pointer, "is not allowed here");
  Deferral deferral = deferral_ ? (*deferral_)(value) : Deferral::kNone;
  if (deferral == Deferral::kAnyValue) return;
  if (!check_type(node, value, pointer, deferral)) return;
  if (deferral == Deferral::kUnknownString) return;  // its text is known only per job
  check_values(node, value, pointer);
  if (value.IsNumber()) check_number(node, value.GetDouble(), pointer);
  if (value.IsString()) check_string(node, value, pointer);
  if (value.IsArray()) check_array(node, value, pointer);
  if (value.IsObject()) check_object(node, value, pointer);
  if (!node.any_of.empty() || !node.one_of.empty()) check_alternatives(node, value, pointer);
}

bool Validator::check_type(const SchemaNode& node, const JsonValue& value,
                           const std::string& pointer, Deferral deferral) {
  uint8_t actual = deferral == Deferral::kUnknownString ? uint8_t{kStringBit} : type_bits_of(value);
  if (node.types & actual) return true;
  add(pointer, "must be " + expected_types(node.types) + ", got " +
                   (deferral == Deferral::kUnknownString ? "a string" : type_name(value)) + " " +
                   preview(value));
  return false;
}

void Validator::check_values(const SchemaNode& node, const JsonValue& value,
                             const std::string& pointer) {
  if (node.const_value && !(*node.const_value == value))
    add(pointer, "must be " + preview(*node.const_value) + ", got " + preview(value));
  if (node.enum_values.empty()) return;
  for (const JsonValue* allowed : node.enum_values)
    if (*allowed == value) return;
  std::string list;
  for (const JsonValue* allowed : node.enum_values)
    list += (list.empty() ? "" : ", ") + preview(*allowed);
  add(pointer, "must be one of " + list + ", got " + preview(value));
}

void Validator::check_number(const SchemaNode& node, double d, const std::string& pointer) {
  std::string got = ", got " + number_text(d);
  if (node.minimum && d < *node.minimum)
    add(pointer, "must be >= " + number_text(*node.minimum) + got);
  if (node.maximum && d > *node.maximum)
    add(pointer, "must be <= " + number_text(*node.maximum) + got);
  if (node.exclusive_minimum && d <= *node.exclusive_minimum)
    add(pointer, "must be > " + number_text(*node.exclusive_minimum) + got);
  if (node.exclusive_maximum && d >= *node.exclusive_maximum)
    add(pointer, "must be < " + number_text(*node.exclusive_maximum) + got);
}

void Validator::check_string(const SchemaNode& node, const JsonValue& value,
                             const std::string& pointer) {
  if (node.min_length || node.max_length) {
    size_t length = utf8_length(value);
    if (node.min_length && length < *node.min_length)
      add(pointer, "must be at least " + std::to_string(*node.min_length) +
                       " characters long, got " + std::to_string(length));
    if (node.max_length && length > *node.max_length)
      add(pointer, "must be at most " + std::to_string(*node.max_length) +
                       " characters long, got " + std::to_string(length));
  }
  if (node.pattern) {
    const char* begin = value.GetString();
    if (!std::regex_search(begin, begin + value.GetStringLength(), *node.pattern))
      add(pointer, "must match the pattern " + node.pattern_source + ", got " + preview(value));
  }
}

void Validator::check_array(const SchemaNode& node, const JsonValue& value, std::string& pointer) {
  size_t size = value.Size();
  if (node.min_items && size < *node.min_items)
    add(pointer, "must have at least " + std::to_string(*node.min_items) + " items, got " +
                     std::to_string(size));
  if (node.max_items && size > *node.max_items)
    add(pointer, "must have at most " + std::to_string(*node.max_items) + " items, got " +
                     std::to_string(size));
  if (!node.items) return;
  size_t base = pointer.size();
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
    append_pointer_token(pointer, std::to_string(i));
    validate(*node.items, value[i], pointer);
    pointer.resize(base);
  }
}

void Validator::check_object(const SchemaNode& node, const JsonValue& value, std::string& pointer) {
  for (const std::string& name : node.required)
    if (!find_member(value, name)) add(pointer, "missing required property '" + name + "'");
  size_t base = pointer.size();
  for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
    std::string_view name(it->name.GetString(), it->name.GetStringLength());
    const SchemaNode* sub = node.find_property(name);
    if (!sub) sub = node.additional.get();
    append_pointer_token(pointer, name);
    if (sub) {
      validate(*sub, it->value, pointer);
    } else if (!node.additional_allowed) {
      std::string allowed;
      for (const auto& entry : node.properties)
        allowed += (allowed.empty() ? "" : ", ") + entry.first;
      add(pointer, "is not an allowed property" +
                       (allowed.empty() ? std::string() : " (allowed: " + allowed + ")"));
    }
    pointer.resize(base);
  }
}

size_t Validator::count_errors(const SchemaNode& node, const JsonValue& value, std::string& pointer,
                               std::vector<SchemaError>* out) {
  std::vector<SchemaError> local;
  Validator(local, deferral_).validate(node, value, pointer);
  size_t count = local.size();
  if (out) *out = std::move(local);
  return count;
}

void Validator::check_alternatives(const SchemaNode& node, const JsonValue& value,
                                   std::string& pointer) {
  if (!node.any_of.empty()) {
    std::vector<SchemaError> first;
    bool matched = false;
    for (const auto& option : node.any_of) {
      std::vector<SchemaError> errors;
      if (count_errors(*option, value, pointer, &errors) == 0) {
        matched = true;
        break;
      }
      if (first.empty()) first = std::move(errors);
    }
    if (!matched)
      add(pointer, "matches none of the " + std::to_string(node.any_of.size()) +
                       " allowed forms (the first says: " + first.front().to_string() + ")");
  }
  if (!node.one_of.empty()) {
    size_t matches = 0;
    for (const auto& option : node.one_of)
      matches += count_errors(*option, value, pointer, nullptr) == 0;
    if (matches != 1)
      add(pointer, "must match exactly one of the " + std::to_string(node.one_of.size()) +
                       " allowed forms, matches " + std::to_string(matches));
  }
}

}  // namespace
}  // namespace internal

std::string SchemaError::to_string() const {
  return (pointer.empty() ? std::string("(root)") : pointer) + ": " + message;
}

void append_pointer_token(std::string& pointer, std::string_view token) {
  pointer += '/';
  for (char c : token) {
    if (c == '~')
      pointer += "~0";
    else if (c == '/')
      pointer += "~1";
    else
      pointer += c;
  }
}

Schema::Schema() = default;
Schema::~Schema() = default;
Schema::Schema(const Schema&) = default;
Schema& Schema::operator=(const Schema&) = default;
Schema::Schema(Schema&&) noexcept = default;
Schema& Schema::operator=(Schema&&) noexcept = default;

void Schema::validate(const JsonValue& doc, std::vector<SchemaError>& errors,
                      const DeferralFn* deferral) const {
  if (!root_) return;
  std::string pointer;
  internal::Validator(errors, deferral).validate(*root_, doc, pointer);
}

bool Schema::is_valid(const JsonValue& doc) const {
  std::vector<SchemaError> errors;
  validate(doc, errors);
  return errors.empty();
}

}  // namespace aiw::json
