// YAML to JSON with marks and limits (see yaml_to_json.h).
#include "pipeline/yaml_to_json.h"

#include <cmath>
#include <unordered_set>

#include "json/schema.h"

namespace aiw::pipeline::internal {
namespace {

class LimitWalker {
 public:
  explicit LimitWalker(const LoadLimits& limits) : limits_(limits) {}

  // False once a limit is broken; problem_ says which.
  bool walk(const YAML::Node& node, size_t depth) {
    if (++nodes_ > limits_.max_nodes) {
      problem_ = {mark_of(node),
                  "the document expands to more than " + std::to_string(limits_.max_nodes) +
                      " values (aliases count each time they are used); this looks like an "
                      "alias bomb: remove the repeated aliases"};
      return false;
    }
    if (!node.IsMap() && !node.IsSequence()) return true;
    if (depth >= limits_.max_depth) {
      problem_ = {mark_of(node), "nesting is deeper than " + std::to_string(limits_.max_depth) +
                                     " levels of mappings and lists; flatten the document"};
      return false;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (node.IsMap()) {
        if (!walk(it->first, depth + 1) || !walk(it->second, depth + 1)) return false;
      } else if (!walk(*it, depth + 1)) {
        return false;
      }
    }
    return true;
  }
  Problem problem_;

 private:
  const LoadLimits& limits_;
  size_t nodes_ = 0;
};

class Converter {
 public:
  Converter(rapidjson::MemoryPoolAllocator<>& allocator, PointerMarks& marks,
            std::vector<Problem>& problems)
      : allocator_(allocator), marks_(marks), problems_(problems) {}

  void convert(const YAML::Node& node, JsonValue& out, std::string& pointer) {
    marks_.set(pointer, mark_of(node));
    if (node.IsMap()) return convert_map(node, out, pointer);
    if (node.IsSequence()) {
      out.SetArray();
      size_t base = pointer.size();
      size_t index = 0;
      for (const auto& item : node) {
        json::append_pointer_token(pointer, std::to_string(index++));
        JsonValue value;
        convert(item, value, pointer);
        out.PushBack(value, allocator_);
        pointer.resize(base);
      }
      return;
    }
    convert_scalar(node, out);
  }

 private:
  void convert_map(const YAML::Node& node, JsonValue& out, std::string& pointer) {
    out.SetObject();
    std::unordered_set<std::string> seen;
    size_t base = pointer.size();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        problems_.push_back({mark_of(it->first), "a mapping key must be a plain text key"});
        continue;
      }
      const std::string& key = it->first.Scalar();
      if (!seen.insert(key).second) {
        problems_.push_back({mark_of(it->first), "duplicate key '" + key + "'"});
        continue;
      }
      json::append_pointer_token(pointer, key);
      JsonValue value;
      convert(it->second, value, pointer);
      out.AddMember(JsonValue(key, allocator_), value, allocator_);
      pointer.resize(base);
    }
  }

  void convert_scalar(const YAML::Node& node, JsonValue& out) {
    Scalar scalar = node.IsScalar() ? classify_scalar(node) : Scalar{Scalar::Kind::kNull};
    switch (scalar.kind) {
      case Scalar::Kind::kNull:
        out.SetNull();
        return;
      case Scalar::Kind::kBool:
        out.SetBool(scalar.boolean);
        return;
      case Scalar::Kind::kInt:
        out.SetInt64(scalar.integer);
        return;
      case Scalar::Kind::kFloat:
        if (std::isfinite(scalar.real)) {
          out.SetDouble(scalar.real);
        } else {
          problems_.push_back({mark_of(node), "JSON has no infinity or NaN; use a finite number"});
          out.SetNull();
        }
        return;
      case Scalar::Kind::kString:
        break;
    }
    out.SetString(node.Scalar(), allocator_);
  }

  rapidjson::MemoryPoolAllocator<>& allocator_;
  PointerMarks& marks_;
  std::vector<Problem>& problems_;
};

}  // namespace

std::optional<Problem> check_limits(const YAML::Node& root, const LoadLimits& limits) {
  LimitWalker walker(limits);
  if (walker.walk(root, 0)) return std::nullopt;
  return walker.problem_;
}

Mark PointerMarks::find(std::string pointer, Mark fallback) const {
  while (true) {
    auto it = marks_.find(pointer);
    if (it != marks_.end()) return it->second;
    size_t slash = pointer.rfind('/');
    if (slash == std::string::npos) return fallback;
    pointer.resize(slash);
  }
}

void yaml_to_json(const YAML::Node& node, JsonValue& out,
                  rapidjson::MemoryPoolAllocator<>& allocator, PointerMarks& marks,
                  std::vector<Problem>& problems) {
  std::string pointer;
  Converter(allocator, marks, problems).convert(node, out, pointer);
}

}  // namespace aiw::pipeline::internal
