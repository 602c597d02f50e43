// Reading single fields of pipeline YAML with a sentence for each mistake (see loader_internal.h).
#include <algorithm>
#include <map>

#include "pipeline/loader_internal.h"

namespace aiw::pipeline::internal {

std::vector<Diagnostic> Diagnostics::take() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.mark.line != b.mark.line ? a.mark.line < b.mark.line : a.mark.column < b.mark.column;
  });
  return std::move(items_);
}

void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                const std::string& where, Diagnostics& diagnostics) {
  std::map<std::string, Mark> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      diagnostics.add(mark_of(it->first), where + ": a key must be plain text");
      continue;
    }
    const std::string& key = it->first.Scalar();
    auto [previous, inserted] = seen.emplace(key, mark_of(it->first));
    if (!inserted) {
      diagnostics.add(mark_of(it->first), where + ": duplicate key '" + key +
                                              "' (first set on line " +
                                              std::to_string(previous->second.line) + ")");
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
    diagnostics.add(mark_of(it->first),
                    "unknown key '" + key + "' in " + where + "; allowed keys: " + list);
  }
}

std::optional<std::string> read_string(const YAML::Node& node, const std::string& what,
                                       Diagnostics& diagnostics) {
  if (node.IsScalar() && classify_scalar(node).kind != Scalar::Kind::kNull) return node.Scalar();
  diagnostics.add(mark_of(node), what + " must be text, got " + describe(node));
  return std::nullopt;
}

std::optional<std::string> read_identifier(const YAML::Node& node, const std::string& what,
                                           Diagnostics& diagnostics) {
  std::optional<std::string> text = read_string(node, what, diagnostics);
  if (!text) return std::nullopt;
  bool valid = std::all_of(text->begin(), text->end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
  if (valid && !text->empty()) return text;
  diagnostics.add(mark_of(node),
                  what + " '" + *text + "' may only use lowercase letters, digits and '_'");
  return std::nullopt;
}

std::optional<bool> read_bool(const YAML::Node& node, const std::string& what,
                              Diagnostics& diagnostics) {
  if (node.IsScalar()) {
    Scalar scalar = classify_scalar(node);
    if (scalar.kind == Scalar::Kind::kBool) return scalar.boolean;
  }
  diagnostics.add(mark_of(node), what + " must be true or false, got " + describe(node));
  return std::nullopt;
}

std::optional<int64_t> read_integer(const YAML::Node& node, int64_t min, int64_t max,
                                    const std::string& what, Diagnostics& diagnostics) {
  if (node.IsScalar()) {
    Scalar scalar = classify_scalar(node);
    if (scalar.kind == Scalar::Kind::kInt && scalar.integer >= min && scalar.integer <= max)
      return scalar.integer;
  }
  diagnostics.add(mark_of(node), what + " must be a whole number from " + std::to_string(min) +
                                     " to " + std::to_string(max) + ", got " + describe(node));
  return std::nullopt;
}

std::optional<int64_t> read_duration(const YAML::Node& node, const std::string& what,
                                     Diagnostics& diagnostics) {
  std::optional<int64_t> ms = parse_duration_ms(node);
  if (!ms)
    diagnostics.add(mark_of(node),
                    what + " must be " + std::string(kDurationHelp) + ", got " + describe(node));
  return ms;
}

std::optional<RetryPolicy> read_retry(const YAML::Node& node, const std::string& what,
                                      Diagnostics& diagnostics) {
  if (!node.IsMap()) {
    diagnostics.add(
        mark_of(node),
        what + " must be a mapping like { max_attempts: 3, delay: 2s }, got " + describe(node));
    return std::nullopt;
  }
  size_t before = diagnostics.size();
  check_keys(node, {"max_attempts", "delay"}, what, diagnostics);
  RetryPolicy retry;
  if (node["max_attempts"]) {
    auto attempts =
        read_integer(node["max_attempts"], 1, 1000, what + ".max_attempts", diagnostics);
    if (attempts) retry.max_attempts = static_cast<int>(*attempts);
  }
  if (node["delay"]) {
    auto delay = read_duration(node["delay"], what + ".delay", diagnostics);
    if (delay) retry.delay_ms = *delay;
  }
  if (diagnostics.size() != before) return std::nullopt;
  return retry;
}

}  // namespace aiw::pipeline::internal
