// Rendering compiled templates per job (see template.h). This runs for every stage of every
// job, so it walks the compiled tree only: constants are written as pre-rendered text and no
// template text is parsed here.
#include <stdexcept>

#include "pipeline/template_impl.h"

namespace aiw::pipeline {
namespace internal {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

const JsonValue* resolve(const Reference& reference, const TemplateContext& context) {
  const JsonValue* value = nullptr;
  if (reference.root == Reference::Root::kInput) value = context.input;
  if (reference.root == Reference::Root::kStage && context.stage_outputs)
    value = context.stage_outputs[reference.stage];
  for (const PathSegment& segment : reference.path) {
    if (!value) return nullptr;
    if (value->IsObject()) {
      auto it = value->FindMember(rapidjson::StringRef(segment.key.data(), segment.key.size()));
      value = it == value->MemberEnd() ? nullptr : &it->value;
    } else if (value->IsArray() && segment.index && *segment.index < value->Size()) {
      value = &(*value)[static_cast<rapidjson::SizeType>(*segment.index)];
    } else {
      return nullptr;
    }
  }
  return value;
}

namespace {

void append_text(const Reference& reference, const TemplateContext& context, std::string& out) {
  switch (reference.root) {
    case Reference::Root::kJobId:
      out += context.job_id;
      return;
    case Reference::Root::kJobType:
      out += context.job_type;
      return;
    case Reference::Root::kJobAttempt:
      out += std::to_string(context.attempt);
      return;
    case Reference::Root::kJobUserId:
      out += context.user_id;
      return;
    default:
      break;
  }
  const JsonValue* value = resolve(reference, context);
  if (!value) return;
  if (value->IsString())
    out.append(value->GetString(), value->GetStringLength());
  else
    out += to_string(*value);
}

std::string interpolate(const Node& node, const TemplateContext& context) {
  std::string text;
  for (const Part& part : node.parts) {
    text += part.literal;
    if (part.reference) append_text(*part.reference, context, text);
  }
  return text;
}

void write_reference(const Reference& reference, const TemplateContext& context, Writer& writer) {
  switch (reference.root) {
    case Reference::Root::kJobId:
      writer.String(context.job_id.data(), static_cast<rapidjson::SizeType>(context.job_id.size()));
      return;
    case Reference::Root::kJobType:
      writer.String(context.job_type.data(),
                    static_cast<rapidjson::SizeType>(context.job_type.size()));
      return;
    case Reference::Root::kJobAttempt:
      writer.Int(context.attempt);
      return;
    case Reference::Root::kJobUserId:
      if (context.user_id.empty())
        writer.Null();
      else
        writer.String(context.user_id.data(),
                      static_cast<rapidjson::SizeType>(context.user_id.size()));
      return;
    default:
      break;
  }
  const JsonValue* value = resolve(reference, context);
  if (value)
    value->Accept(writer);
  else
    writer.Null();
}

void write(const Node& node, const TemplateContext& context, Writer& writer) {
  switch (node.kind) {
    case Node::Kind::kConstant:
      writer.RawValue(node.constant_json.data(), node.constant_json.size(),
                      node.constant->GetType());
      return;
    case Node::Kind::kReference:
      return write_reference(node.reference, context, writer);
    case Node::Kind::kInterpolation: {
      std::string text = interpolate(node, context);
      writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()), true);
      return;
    }
    case Node::Kind::kObject:
      writer.StartObject();
      for (const auto& [key, child] : node.members) {
        writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()), true);
        write(child, context, writer);
      }
      writer.EndObject();
      return;
    case Node::Kind::kArray:
      writer.StartArray();
      for (const Node& child : node.items) write(child, context, writer);
      writer.EndArray();
      return;
  }
}

void build_reference(const Reference& reference, const TemplateContext& context, JsonValue& out,
                     rapidjson::MemoryPoolAllocator<>& allocator) {
  switch (reference.root) {
    case Reference::Root::kJobId:
      out.SetString(context.job_id.data(), static_cast<rapidjson::SizeType>(context.job_id.size()),
                    allocator);
      return;
    case Reference::Root::kJobType:
      out.SetString(context.job_type.data(),
                    static_cast<rapidjson::SizeType>(context.job_type.size()), allocator);
      return;
    case Reference::Root::kJobAttempt:
      out.SetInt(context.attempt);
      return;
    case Reference::Root::kJobUserId:
      if (context.user_id.empty())
        out.SetNull();
      else
        out.SetString(context.user_id.data(),
                      static_cast<rapidjson::SizeType>(context.user_id.size()), allocator);
      return;
    default:
      break;
  }
  const JsonValue* value = resolve(reference, context);
  if (value)
    out.CopyFrom(*value, allocator);
  else
    out.SetNull();
}

void build(const Node& node, const TemplateContext& context, JsonValue& out,
           rapidjson::MemoryPoolAllocator<>& allocator) {
  switch (node.kind) {
    case Node::Kind::kConstant:
      out.CopyFrom(*node.constant, allocator);
      return;
    case Node::Kind::kReference:
      return build_reference(node.reference, context, out, allocator);
    case Node::Kind::kInterpolation:
      out.SetString(interpolate(node, context), allocator);
      return;
    case Node::Kind::kObject:
      out.SetObject();
      for (const auto& [key, child] : node.members) {
        JsonValue value;
        build(child, context, value, allocator);
        out.AddMember(JsonValue(key, allocator), value, allocator);
      }
      return;
    case Node::Kind::kArray:
      out.SetArray();
      out.Reserve(static_cast<rapidjson::SizeType>(node.items.size()), allocator);
      for (const Node& child : node.items) {
        JsonValue value;
        build(child, context, value, allocator);
        out.PushBack(value, allocator);
      }
      return;
  }
}

}  // namespace
}  // namespace internal

Template::Template() : impl_(std::make_unique<Impl>()) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

bool Template::is_constant() const { return !impl_ || impl_->constant; }

const std::string& Template::constant_json() const {
  static const std::string kNull = "null";
  return impl_ ? impl_->constant_json : kNull;
}

const std::vector<size_t>& Template::referenced_stages() const {
  static const std::vector<size_t> kNone;
  return impl_ ? impl_->referenced_stages : kNone;
}

bool Template::reads_input() const { return impl_ && impl_->reads_input; }

std::optional<size_t> Template::whole_stage_output() const {
  if (!impl_ || impl_->constant) return std::nullopt;
  const internal::Node& root = impl_->root;
  if (root.kind != internal::Node::Kind::kReference) return std::nullopt;
  if (root.reference.root != internal::Reference::Root::kStage || !root.reference.path.empty())
    return std::nullopt;
  return root.reference.stage;
}

bool Template::render(const TemplateContext& context, std::string& out, std::string& error) const {
  if (is_constant()) {
    out = constant_json();
    return true;
  }
  try {
    rapidjson::StringBuffer buffer;
    internal::Writer writer(buffer);
    internal::write(impl_->root, context, writer);
    out.assign(buffer.GetString(), buffer.GetSize());
    return true;
  } catch (const std::exception& e) {  // RAPIDJSON_ASSERT throws on malformed job data
    error = std::string("cannot render the template: ") + e.what();
    return false;
  }
}

bool Template::render(const TemplateContext& context, JsonValue& out,
                      rapidjson::MemoryPoolAllocator<>& allocator, std::string& error) const {
  if (!impl_) {
    out.SetNull();
    return true;
  }
  try {
    internal::build(impl_->root, context, out, allocator);
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot render the template: ") + e.what();
    return false;
  }
}

}  // namespace aiw::pipeline
