// Internal: YAML to RapidJSON, remembering where every value came from, within limits that keep
// hostile files (deep nesting, alias "billion laughs") bounded. Not part of any API.
#pragma once

#include <aiw/json.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pipeline/loader.h"
#include "pipeline/yaml_util.h"

namespace aiw::pipeline::internal {

struct Problem {
  Mark mark;
  std::string message;
};

// Walks the whole document as the loader will see it (aliases expanded every time they are
// used) and reports the first limit broken. Everything after this check may recurse freely.
std::optional<Problem> check_limits(const YAML::Node& root, const LoadLimits& limits);

// Where each converted value was written, by JSON pointer relative to the converted node.
class PointerMarks {
 public:
  void set(const std::string& pointer, Mark mark) { marks_[pointer] = mark; }
  // The mark of the deepest written value on the pointer's path, or fallback.
  Mark find(std::string pointer, Mark fallback) const;

 private:
  std::unordered_map<std::string, Mark> marks_;
};

// Converts node into out. Mapping keys must be scalars and unique; problems are appended.
void yaml_to_json(const YAML::Node& node, JsonValue& out,
                  rapidjson::MemoryPoolAllocator<>& allocator, PointerMarks& marks,
                  std::vector<Problem>& problems);

}  // namespace aiw::pipeline::internal
