// Internal: the compiled tree behind Template (see template.h). Not part of any API.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/template.h"

namespace aiw::pipeline::internal {

struct PathSegment {
  std::string key;
  std::optional<size_t> index;  // set when the key is all digits: an array index too
};

struct Reference {
  enum class Root { kInput, kStage, kJobId, kJobType, kJobAttempt, kJobUserId } root = Root::kInput;
  size_t stage = 0;
  std::vector<PathSegment> path;  // below input, or below stages.<id>.output
};

// One piece of an interpolated string: literal text, or a reference to render as text.
struct Part {
  std::string literal;
  std::optional<Reference> reference;
};

struct Node {
  enum class Kind { kConstant, kReference, kInterpolation, kObject, kArray } kind = Kind::kConstant;
  const JsonValue* constant = nullptr;  // lives in Template::Impl::storage
  std::string constant_json;
  Reference reference;
  std::vector<Part> parts;
  std::vector<std::pair<std::string, Node>> members;
  std::vector<Node> items;
};

// Resolves a reference against one job, nullptr when the path does not exist.
const JsonValue* resolve(const Reference& reference, const TemplateContext& context);

}  // namespace aiw::pipeline::internal

namespace aiw::pipeline {

struct Template::Impl {
  rapidjson::Document storage;  // owns the constant values of the tree
  internal::Node root;
  bool constant = true;
  std::string constant_json = "null";
  std::vector<size_t> referenced_stages;
  bool reads_input = false;
};

}  // namespace aiw::pipeline
