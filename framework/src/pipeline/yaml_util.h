// Internal: reading yaml-cpp nodes the way the pipeline format wants (YAML 1.2 core schema
// scalars, 1-based marks, durations). Not part of any API.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/spec.h"

namespace aiw::pipeline::internal {

// yaml-cpp marks are 0-based; diagnostics are 1-based like every editor.
inline Mark to_mark(const YAML::Mark& m) { return {m.line + 1, m.column + 1}; }
inline Mark mark_of(const YAML::Node& node) { return to_mark(node.Mark()); }

// What a scalar means under the YAML 1.2 core schema. yaml-cpp keeps every scalar as text, so
// the type of a plain (unquoted) scalar is decided here; a quoted one is always a string.
struct Scalar {
  enum class Kind { kNull, kBool, kInt, kFloat, kString } kind = Kind::kString;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
};
Scalar classify_scalar(const YAML::Node& node);

// A short description of a node's type for sentences ("a mapping", "the string 'x'").
std::string describe(const YAML::Node& node);

// Durations: "250ms", "30s", "5m", "24h", or an integer number of milliseconds.
std::optional<int64_t> parse_duration_ms(const YAML::Node& node);
inline constexpr const char* kDurationHelp =
    "a duration like 250ms, 30s, 5m or 1h (or an integer number of milliseconds)";

}  // namespace aiw::pipeline::internal
