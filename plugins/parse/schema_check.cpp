#include "schema_check.h"

#include <algorithm>

namespace parse {
namespace {

std::string escape_token(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string shown(const aiw::JsonValue& value) {
  if (value.IsObject()) return "an object";
  if (value.IsArray()) return "an array";
  std::string text = aiw::to_string(value);
  return text.size() > 48 ? text.substr(0, 45) + "..." : text;
}

bool has_type(const aiw::JsonValue& value, std::string_view type) {
  if (type == "object") return value.IsObject();
  if (type == "array") return value.IsArray();
  if (type == "string") return value.IsString();
  if (type == "boolean") return value.IsBool();
  if (type == "null") return value.IsNull();
  if (type == "number") return value.IsNumber();
  if (type == "integer") return value.IsInt64() || value.IsUint64();
  return true;  // an unknown type name: RapidJSON judges it
}

// "expected number, got \"lots\"" when value breaks the schema's type, else "".
std::string type_problem(const aiw::JsonValue& schema, const aiw::JsonValue& value) {
  const aiw::JsonValue* type = aiw::find_member(schema, "type");
  if (type == nullptr) return {};
  std::string names;
  bool matches = false;
  auto consider = [&](const aiw::JsonValue& t) {
    if (!t.IsString()) return;
    matches = matches || has_type(value, t.GetString());
    names += (names.empty() ? "" : " or ") + std::string(t.GetString());
  };
  if (type->IsArray()) {
    for (const auto& t : type->GetArray()) consider(t);
  } else {
    consider(*type);
  }
  return matches || names.empty() ? std::string() : "expected " + names + ", got " + shown(value);
}

std::string missing_members(const aiw::JsonValue& schema, const aiw::JsonValue& value) {
  const aiw::JsonValue* required = aiw::find_member(schema, "required");
  if (required == nullptr || !required->IsArray() || !value.IsObject()) return {};
  std::string names;
  for (const auto& name : required->GetArray())
    if (name.IsString() && !value.HasMember(name.GetString()))
      names += (names.empty() ? "\"" : ", \"") + std::string(name.GetString()) + "\"";
  return names.empty() ? std::string() : "missing required member " + names;
}

std::string enum_problem(const aiw::JsonValue& schema, const aiw::JsonValue& value) {
  const aiw::JsonValue* options = aiw::find_member(schema, "enum");
  if (options == nullptr || !options->IsArray()) return {};
  for (const auto& option : options->GetArray())
    if (option == value) return {};
  return "expected one of " + aiw::to_string(*options) + ", got " + shown(value);
}

std::string bound(const aiw::JsonValue& schema, const char* key) {
  const aiw::JsonValue* v = aiw::find_member(schema, key);
  return v ? aiw::to_string(*v) : "?";
}

// The sentence for RapidJSON's verdict: keyword broken, sub-schema it belongs to, and value.
std::string describe(std::string_view keyword, const aiw::JsonValue& schema,
                     const aiw::JsonValue& value) {
  std::string got = ", got " + shown(value);
  auto flag = [&](const char* key) {
    const aiw::JsonValue* v = aiw::find_member(schema, key);
    return v && v->IsBool() && v->GetBool();
  };
  if (keyword == "type") return type_problem(schema, value);
  if (keyword == "required") return missing_members(schema, value);
  if (keyword == "enum") return enum_problem(schema, value);
  if (keyword == "minimum")
    return "expected a number " + std::string(flag("exclusiveMinimum") ? "> " : ">= ") +
           bound(schema, "minimum") + got;
  if (keyword == "maximum")
    return "expected a number " + std::string(flag("exclusiveMaximum") ? "< " : "<= ") +
           bound(schema, "maximum") + got;
  if (keyword == "minLength")
    return "expected at least " + bound(schema, "minLength") + " characters" + got;
  if (keyword == "maxLength")
    return "expected at most " + bound(schema, "maxLength") + " characters" + got;
  if (keyword == "minItems")
    return "expected at least " + bound(schema, "minItems") + " items" + got;
  if (keyword == "maxItems")
    return "expected at most " + bound(schema, "maxItems") + " items" + got;
  if (keyword == "pattern") return "expected text matching " + bound(schema, "pattern") + got;
  if (keyword == "additionalProperties")
    return "has a member the schema does not allow (additionalProperties)";
  return "breaks the schema's \"" + std::string(keyword) + "\" rule" + got;
}

// The walk that finds further problems after RapidJSON's first (see problems()).
void walk(const aiw::JsonValue& schema, const aiw::JsonValue& value, const std::string& pointer,
          std::vector<std::string>& out) {
  if (!schema.IsObject() || out.size() > CompiledSchema::kMaxProblems) return;
  std::string where = pointer.empty() ? "(root)" : pointer;
  for (const std::string& p : {type_problem(schema, value), enum_problem(schema, value)}) {
    if (!p.empty()) {
      out.push_back(where + ": " + p);
      return;  // what lies below a value of the wrong kind says nothing more
    }
  }
  if (std::string p = missing_members(schema, value); !p.empty()) out.push_back(where + ": " + p);
  if (value.IsObject()) {
    const aiw::JsonValue* properties = aiw::find_member(schema, "properties");
    for (const auto& m : value.GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      if (const aiw::JsonValue* sub = properties ? aiw::find_member(*properties, name) : nullptr)
        walk(*sub, m.value, pointer + "/" + escape_token(name), out);
    }
  } else if (value.IsArray()) {
    const aiw::JsonValue* items = aiw::find_member(schema, "items");
    if (items == nullptr || !items->IsObject()) return;
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i)
      walk(*items, value[i], pointer + "/" + std::to_string(i), out);
  }
}

template <typename Pointer>
std::string pointer_text(const Pointer& pointer) {
  rapidjson::StringBuffer buffer;
  pointer.Stringify(buffer);
  return buffer.GetString();
}

}  // namespace

CompiledSchema::CompiledSchema(const aiw::JsonValue& schema) {
  schema_.CopyFrom(schema, schema_.GetAllocator());
  document_ = std::make_unique<rapidjson::SchemaDocument>(schema_);
}

std::vector<std::string> CompiledSchema::problems(const aiw::JsonValue& doc) const {
  rapidjson::SchemaValidator validator(*document_);
  if (doc.Accept(validator)) return {};
  std::string at = pointer_text(validator.GetInvalidDocumentPointer());
  const aiw::JsonValue* value = validator.GetInvalidDocumentPointer().Get(doc);
  const aiw::JsonValue* sub = validator.GetInvalidSchemaPointer().Get(schema_);
  std::string first =
      describe(validator.GetInvalidSchemaKeyword(), sub ? *sub : schema_, value ? *value : doc);
  if (first.empty())
    first = "breaks the schema's \"" + std::string(validator.GetInvalidSchemaKeyword()) + "\" rule";
  std::vector<std::string> out{(at.empty() ? "(root)" : at) + ": " + first};
  std::vector<std::string> more;
  walk(schema_, doc, "", more);
  for (const std::string& p : more)
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  if (out.size() > kMaxProblems) {
    out.resize(kMaxProblems);
    out.push_back("and more");
  }
  return out;
}

}  // namespace parse
