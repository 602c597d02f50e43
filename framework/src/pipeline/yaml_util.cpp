// Scalar typing and durations for pipeline YAML (see yaml_util.h).
#include "pipeline/yaml_util.h"

#include <charconv>
#include <cstdlib>
#include <limits>
#include <regex>

namespace aiw::pipeline::internal {
namespace {

bool is_one_of(const std::string& text, std::initializer_list<const char*> words) {
  for (const char* word : words)
    if (text == word) return true;
  return false;
}

bool parse_integer(const std::string& text, int64_t& out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  int base = 10;
  bool negative = false;
  if (begin != end && (*begin == '+' || *begin == '-')) negative = *begin++ == '-';
  if (end - begin > 2 && begin[0] == '0' && (begin[1] == 'x' || begin[1] == 'o')) {
    if (negative) return false;  // the core schema has no signed hex or octal
    base = begin[1] == 'x' ? 16 : 8;
    begin += 2;
  }
  if (begin == end) return false;
  uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(begin, end, magnitude, base);
  if (ec != std::errc() || ptr != end) return false;
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  out = negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

bool parse_float(const std::string& text, double& out) {
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (is_one_of(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (is_one_of(text, {"-.inf", "-.Inf", "-.INF"})) {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (is_one_of(text, {".nan", ".NaN", ".NAN"})) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (!std::regex_match(text, kFloat)) return false;
  out = std::strtod(text.c_str(), nullptr);
  return true;
}

}  // namespace

Scalar classify_scalar(const YAML::Node& node) {
  Scalar out;
  // "?" is the tag yaml-cpp gives plain scalars; anything quoted or explicitly tagged is text.
  if (node.Tag() != "?") return out;
  const std::string& text = node.Scalar();
  if (is_one_of(text, {"", "~", "null", "Null", "NULL"})) {
    out.kind = Scalar::Kind::kNull;
  } else if (is_one_of(text, {"true", "True", "TRUE", "false", "False", "FALSE"})) {
    out.kind = Scalar::Kind::kBool;
    out.boolean = text[0] == 't' || text[0] == 'T';
  } else if (parse_integer(text, out.integer)) {
    out.kind = Scalar::Kind::kInt;
  } else if (parse_float(text, out.real)) {
    out.kind = Scalar::Kind::kFloat;
  }
  return out;
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (!node.IsScalar()) return "nothing";
  switch (classify_scalar(node).kind) {
    case Scalar::Kind::kNull:
      return "null";
    case Scalar::Kind::kBool:
      return "the boolean " + node.Scalar();
    case Scalar::Kind::kInt:
    case Scalar::Kind::kFloat:
      return "the number " + node.Scalar();
    case Scalar::Kind::kString:
      break;
  }
  std::string text = node.Scalar();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return "'" + text + "'";
}

std::optional<int64_t> parse_duration_ms(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  Scalar scalar = classify_scalar(node);
  if (scalar.kind == Scalar::Kind::kInt)
    return scalar.integer >= 0 ? std::optional<int64_t>(scalar.integer) : std::nullopt;
  const std::string& text = node.Scalar();
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;  // 12 digits keeps hours from overflowing
  int64_t count = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (unit == "ms") return count;
  if (unit == "s") return count * 1000;
  if (unit == "m") return count * 60 * 1000;
  if (unit == "h") return count * 3600 * 1000;
  return std::nullopt;
}

}  // namespace aiw::pipeline::internal
