// Template: a stage's `with` block (or a pipeline's `output`) with its ${...} references
// compiled once at load and rendered per job.
//
// References: ${input.a.b}, ${stages.<id>.output.a.b}, ${env.NAME} (or ${env.NAME:-default}),
// ${job.id}, ${job.type}, ${job.attempt}, ${job.user_id}. A string that is exactly one reference keeps the JSON
// type of what it points to; a reference inside a longer string is interpolated as text
// (strings as-is, other values as compact JSON). A path that does not exist renders as null
// (whole value) or "" (inside a string). ${env.*} is resolved at load.
#pragma once

#include <aiw/json.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aiw::pipeline {

// What a template is rendered against: one job's state.
struct TemplateContext {
  const JsonValue* input = nullptr;
  // stage_outputs[i] is the output of stage i (PipelineSpec::stages order), nullptr if absent.
  const JsonValue* const* stage_outputs = nullptr;
  std::string_view job_id;
  std::string_view job_type;
  int attempt = 1;
  // The job's owner; empty renders as null (whole value) or "" (inside a string), like a path
  // that does not exist.
  std::string_view user_id;
};

class Template {
 public:
  Template();
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // True when no reference depends on the job: render() returns constant_json().
  bool is_constant() const;
  const std::string& constant_json() const;

  // Renders to compact JSON text. False with a sentence in error on failure.
  bool render(const TemplateContext& context, std::string& out, std::string& error) const;
  // Renders into a value that uses the given allocator.
  bool render(const TemplateContext& context, JsonValue& out,
              rapidjson::MemoryPoolAllocator<>& allocator, std::string& error) const;

  // Indices of the stages this template reads (for upstream checks and lazy output parsing).
  const std::vector<size_t>& referenced_stages() const;
  // True when some reference reads the job's input (${input...}): the engine parses a job's
  // input into a document only when a template, or the input schema, needs one.
  bool reads_input() const;

  // The stage index when the whole template is exactly "${stages.<id>.output}": the engine
  // then passes that stage's output text through without parsing or rendering it.
  std::optional<size_t> whole_stage_output() const;

  struct Impl;  // defined in template.cpp

 private:
  std::unique_ptr<Impl> impl_;
  friend class TemplateCompiler;
};

}  // namespace aiw::pipeline
