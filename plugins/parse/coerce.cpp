#include "coerce.h"

#include <charconv>
#include <cmath>
#include <string>

namespace parse {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool type_is_numeric(std::string_view type) { return type == "number" || type == "integer"; }

// The schema accepts a number here (alone, or in a list of types: see coerce.h for why a
// list that also allows a string still prefers the number).
bool wants_number(const aiw::JsonValue& schema) {
  const aiw::JsonValue* type = aiw::find_member(schema, "type");
  if (type == nullptr) return false;
  if (type->IsString()) return type_is_numeric(type->GetString());
  if (!type->IsArray()) return false;
  for (const auto& t : type->GetArray())
    if (t.IsString() && type_is_numeric(t.GetString())) return true;
  return false;
}

void set_number(aiw::JsonValue& value, double number) {
  if (std::trunc(number) == number && std::fabs(number) < 9.0e15) {
    value.SetInt64(static_cast<int64_t>(number));
  } else {
    value.SetDouble(number);
  }
}

}  // namespace

bool number_from_text(std::string_view text, double& value) {
  size_t b = text.find_first_not_of(' ');
  if (b == std::string_view::npos) return false;
  text = text.substr(b, text.find_last_not_of(' ') - b + 1);
  if (text.size() > 40) return false;
  std::string canonical;
  size_t i = 0;
  if (text[0] == '+' || text[0] == '-') {
    if (text[0] == '-') canonical += '-';
    ++i;
  }
  size_t digits_before = 0, digits_after = 0;
  bool separator = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (is_digit(c)) {
      canonical += c;
      ++(separator ? digits_after : digits_before);
    } else if ((c == '.' || c == ',') && !separator) {
      separator = true;
      canonical += '.';
    } else {
      return false;
    }
  }
  if (digits_before == 0 || (separator && digits_after == 0)) return false;
  auto [end, ec] = std::from_chars(canonical.data(), canonical.data() + canonical.size(), value);
  return ec == std::errc() && end == canonical.data() + canonical.size() && std::isfinite(value);
}

void coerce_numbers(const aiw::JsonValue& schema, aiw::JsonValue& value) {
  if (!schema.IsObject()) return;
  if (value.IsString()) {
    double number = 0;
    if (wants_number(schema) &&
        number_from_text({value.GetString(), value.GetStringLength()}, number))
      set_number(value, number);
    return;
  }
  if (value.IsObject()) {
    const aiw::JsonValue* properties = aiw::find_member(schema, "properties");
    const aiw::JsonValue* additional = aiw::find_member(schema, "additionalProperties");
    for (auto& member : value.GetObject()) {
      std::string_view name(member.name.GetString(), member.name.GetStringLength());
      if (const aiw::JsonValue* sub = properties ? aiw::find_member(*properties, name) : nullptr) {
        coerce_numbers(*sub, member.value);
      } else if (additional != nullptr) {
        coerce_numbers(*additional, member.value);
      }
    }
    return;
  }
  if (value.IsArray()) {
    const aiw::JsonValue* items = aiw::find_member(schema, "items");
    if (items == nullptr) return;
    rapidjson::SizeType i = 0;
    for (auto& element : value.GetArray()) {
      if (items->IsObject()) {
        coerce_numbers(*items, element);
      } else if (items->IsArray() && i < items->Size()) {
        coerce_numbers((*items)[i], element);
      }
      ++i;
    }
  }
}

}  // namespace parse
