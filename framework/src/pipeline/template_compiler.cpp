// Compiling ${...} references into Template trees (see template_compiler.h).
#include "pipeline/template_compiler.h"

#include <algorithm>
#include <cstdlib>

#include "pipeline/template_impl.h"

namespace aiw::pipeline {
namespace {

using internal::Node;
using internal::Part;
using internal::PathSegment;
using internal::Reference;

constexpr std::string_view kRoots = "references start with input, stages, env or job";

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    out.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

class Compiler {
 public:
  Compiler(const TemplateCompiler::Options& options, Template::Impl& impl,
           std::vector<TemplateCompiler::Error>& errors)
      : options_(options), impl_(impl), errors_(errors) {}

  Node compile(const JsonValue& value, std::string& pointer);

 private:
  Node compile_string(const JsonValue& value, const std::string& pointer);
  // Parses the text between ${ and }; false after reporting an error. A resolved ${env...}
  // becomes literal text in part.
  bool parse_reference(std::string_view body, const std::string& pointer, Part& part);
  bool parse_env(std::string_view body, const std::string& pointer, Part& part);
  bool parse_stage(const std::vector<std::string>& segments, std::string_view body,
                   const std::string& pointer, Reference& out);
  Node constant(const JsonValue& value);
  Node fold(const Node& node);
  void fail(const std::string& pointer, std::string message) {
    errors_.push_back({pointer, std::move(message)});
  }

  const TemplateCompiler::Options& options_;
  Template::Impl& impl_;
  std::vector<TemplateCompiler::Error>& errors_;
};

Node Compiler::constant(const JsonValue& value) {
  Node node;
  node.constant = new (impl_.storage.GetAllocator().Malloc(sizeof(JsonValue)))
      JsonValue(value, impl_.storage.GetAllocator());
  node.constant_json = to_string(value);
  return node;
}

// Builds one constant from constant children (their text may differ from the source: resolved
// ${env...}, unescaped $${).
Node Compiler::fold(const Node& node) {
  auto& allocator = impl_.storage.GetAllocator();
  JsonValue value;
  if (node.kind == Node::Kind::kObject) {
    value.SetObject();
    for (const auto& [key, child] : node.members)
      value.AddMember(JsonValue(key, allocator), JsonValue(*child.constant, allocator), allocator);
  } else {
    value.SetArray();
    for (const Node& child : node.items)
      value.PushBack(JsonValue(*child.constant, allocator), allocator);
  }
  return constant(value);
}

Node Compiler::compile(const JsonValue& value, std::string& pointer) {
  if (value.IsString()) return compile_string(value, pointer);
  if (!value.IsObject() && !value.IsArray()) return constant(value);
  Node node;
  bool all_constant = true;
  size_t base = pointer.size();
  if (value.IsObject()) {
    node.kind = Node::Kind::kObject;
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
      std::string key(it->name.GetString(), it->name.GetStringLength());
      json::append_pointer_token(pointer, key);
      node.members.emplace_back(std::move(key), compile(it->value, pointer));
      all_constant &= node.members.back().second.kind == Node::Kind::kConstant;
      pointer.resize(base);
    }
  } else {
    node.kind = Node::Kind::kArray;
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      json::append_pointer_token(pointer, std::to_string(i));
      node.items.push_back(compile(value[i], pointer));
      all_constant &= node.items.back().kind == Node::Kind::kConstant;
      pointer.resize(base);
    }
  }
  // A subtree without references is folded so rendering writes it as one piece of text.
  return all_constant ? fold(node) : node;
}

// Splits the text into parts, each literal text followed by at most one reference.
Node Compiler::compile_string(const JsonValue& value, const std::string& pointer) {
  std::string_view text(value.GetString(), value.GetStringLength());
  std::vector<Part> parts(1);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t dollar = text.find('$', pos);
    if (dollar == std::string_view::npos) break;
    parts.back().literal += text.substr(pos, dollar - pos);
    if (text.substr(dollar, 3) == "$${") {  // escape: "$${" is a literal "${"
      parts.back().literal += "${";
      pos = dollar + 3;
      continue;
    }
    if (text.substr(dollar, 2) != "${") {
      parts.back().literal += '$';
      pos = dollar + 1;
      continue;
    }
    size_t close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      fail(pointer, "'${' is not closed in \"" + std::string(text) +
                        "\"; write ${input.name} (or $${ for a literal ${)");
      return constant(value);
    }
    Part part;
    if (!parse_reference(text.substr(dollar + 2, close - dollar - 2), pointer, part))
      return constant(value);
    parts.back().literal += part.literal;  // a resolved ${env...} is text
    if (part.reference) {
      parts.back().reference = std::move(part.reference);
      parts.emplace_back();
    }
    pos = close + 1;
  }
  if (pos < text.size()) parts.back().literal += text.substr(pos);
  if (parts.size() > 1 && parts.back().literal.empty()) parts.pop_back();
  if (parts.size() == 1 && !parts.front().reference)
    return constant(JsonValue(parts.front().literal, impl_.storage.GetAllocator()));
  for (const Part& part : parts) {
    if (!part.reference) continue;
    if (part.reference->root == Reference::Root::kStage)
      impl_.referenced_stages.push_back(part.reference->stage);
    if (part.reference->root == Reference::Root::kInput) impl_.reads_input = true;
  }
  Node node;
  if (parts.size() == 1 && parts.front().literal.empty()) {
    node.kind = Node::Kind::kReference;
    node.reference = std::move(*parts.front().reference);
    return node;
  }
  node.kind = Node::Kind::kInterpolation;
  node.parts = std::move(parts);
  return node;
}

bool Compiler::parse_reference(std::string_view body, const std::string& pointer, Part& part) {
  std::string shown = "${" + std::string(body) + "}";
  if (body.substr(0, 4) == "env.") return parse_env(body.substr(4), pointer, part);
  std::vector<std::string> segments = split(body, '.');
  if (std::any_of(segments.begin(), segments.end(),
                  [](const std::string& s) { return s.empty(); })) {
    fail(pointer, "malformed reference " + shown + ": a path is names separated by single dots");
    return false;
  }
  Reference reference;
  const std::string& root = segments[0];
  if (root == "input") {
    reference.root = Reference::Root::kInput;
    segments.erase(segments.begin());
  } else if (root == "job") {
    const std::string field = segments.size() == 2 ? segments[1] : std::string();
    if (field == "id") {
      reference.root = Reference::Root::kJobId;
    } else if (field == "type") {
      reference.root = Reference::Root::kJobType;
    } else if (field == "attempt") {
      reference.root = Reference::Root::kJobAttempt;
    } else if (field == "user_id") {
      reference.root = Reference::Root::kJobUserId;
    } else {
      fail(pointer, "unknown job reference " + shown +
                        "; use ${job.id}, ${job.type}, ${job.attempt} or ${job.user_id}");
      return false;
    }
    segments.clear();
  } else if (root == "stages") {
    if (!parse_stage(segments, shown, pointer, reference)) return false;
    segments.erase(segments.begin(), segments.begin() + 3);
  } else {
    fail(pointer, "unknown reference root '" + root + "' in " + shown + "; " + std::string(kRoots));
    return false;
  }
  for (std::string& name : segments) {
    PathSegment segment{std::move(name), std::nullopt};
    if (std::all_of(segment.key.begin(), segment.key.end(),
                    [](char c) { return c >= '0' && c <= '9'; }) &&
        segment.key.size() < 19)
      segment.index = std::stoull(segment.key);
    reference.path.push_back(std::move(segment));
  }
  part.reference = std::move(reference);
  return true;
}

bool Compiler::parse_stage(const std::vector<std::string>& segments, std::string_view shown,
                           const std::string& pointer, Reference& out) {
  if (segments.size() < 3 || segments[2] != "output") {
    std::string id = segments.size() > 1 ? segments[1] : "<id>";
    fail(pointer, "malformed reference " + std::string(shown) + "; a stage's result is ${stages." +
                      id + ".output} or a path below it, e.g. ${stages." + id + ".output.field}");
    return false;
  }
  std::string error;
  std::optional<size_t> index;
  if (options_.resolve_stage)
    index = options_.resolve_stage(segments[1], error);
  else
    error = "stage references are not allowed here";
  if (!index) {
    fail(pointer, "reference " + std::string(shown) + ": " + error);
    return false;
  }
  out.root = Reference::Root::kStage;
  out.stage = *index;
  return true;
}

bool Compiler::parse_env(std::string_view body, const std::string& pointer, Part& part) {
  size_t sep = body.find(":-");
  std::string name(body.substr(0, sep));
  if (!is_env_name(name)) {
    fail(pointer, "malformed reference ${env." + std::string(body) +
                      "}: write ${env.NAME} or ${env.NAME:-default}");
    return false;
  }
  std::optional<std::string> value;
  if (options_.env) {
    value = options_.env(name);
  } else if (const char* env = std::getenv(name.c_str())) {
    value = env;
  }
  if (!value && sep != std::string_view::npos) value = std::string(body.substr(sep + 2));
  if (!value) {
    fail(pointer, "environment variable " + name +
                      " is not set; set it or give a default with ${env." + name + ":-default}");
    return false;
  }
  part.literal = std::move(*value);
  return true;
}

}  // namespace

bool TemplateCompiler::compile(const JsonValue& value, const Options& options, Template& out,
                               std::vector<Error>& errors) {
  size_t before = errors.size();
  auto impl = std::make_unique<Template::Impl>();
  std::string pointer;
  Compiler compiler(options, *impl, errors);
  impl->root = compiler.compile(value, pointer);
  std::sort(impl->referenced_stages.begin(), impl->referenced_stages.end());
  impl->referenced_stages.erase(
      std::unique(impl->referenced_stages.begin(), impl->referenced_stages.end()),
      impl->referenced_stages.end());
  impl->constant = impl->root.kind == Node::Kind::kConstant;
  impl->constant_json = impl->constant ? impl->root.constant_json : std::string();
  out.impl_ = std::move(impl);
  return errors.size() == before;
}

json::Deferral TemplateCompiler::deferral_of(const JsonValue& value) {
  if (!value.IsString()) return json::Deferral::kNone;
  std::string_view text(value.GetString(), value.GetStringLength());
  size_t open = text.find("${");
  if (open == std::string_view::npos) return json::Deferral::kNone;
  bool whole = open == 0 && text.back() == '}' && text.find('}') == text.size() - 1 &&
               text.substr(0, 6) != "${env.";
  return whole ? json::Deferral::kAnyValue : json::Deferral::kUnknownString;
}

}  // namespace aiw::pipeline
