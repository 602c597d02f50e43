// The pipeline's `input` schema and its `output` template (explicit or from terminal stages).
#include <unordered_map>

#include "json/schema.h"
#include "pipeline/loader_internal.h"
#include "pipeline/template_compiler.h"
#include "pipeline/yaml_to_json.h"

namespace aiw::pipeline::internal {
namespace {

void build_input(RawPipeline& raw, Diagnostics& diagnostics) {
  Json schema;
  PointerMarks marks;
  std::vector<Problem> problems;
  yaml_to_json(*raw.input, schema, schema.GetAllocator(), marks, problems);
  for (Problem& problem : problems) diagnostics.add(problem.mark, problem.message);
  // Compiled here so that a schema the gateway could not enforce fails the load, not a job.
  Result<json::Schema> compiled = json::Schema::compile(schema);
  if (!compiled.ok())
    diagnostics.add(raw.input_mark,
                    "input is not a JSON Schema aiw can enforce: " + compiled.error());
  raw.spec.input_schema_json = to_string(schema);
}

// {"a": "${stages.a.output}"} or "${stages.a.output}" for the stages nobody needs.
void default_output(const RawPipeline& raw, const std::vector<std::vector<size_t>>& needs,
                    Json& out) {
  std::vector<bool> needed(raw.stages.size());
  for (const auto& list : needs)
    for (size_t need : list) needed[need] = true;
  std::vector<size_t> terminal;
  for (size_t i = 0; i < raw.stages.size(); ++i)
    if (!needed[i] && !raw.stages[i].spec.id.empty()) terminal.push_back(i);  // no id: reported
  auto reference = [&](size_t i) {
    return JsonValue("${stages." + raw.stages[i].spec.id + ".output}", out.GetAllocator());
  };
  if (terminal.size() == 1) {
    out.CopyFrom(reference(terminal.front()), out.GetAllocator());
    return;
  }
  out.SetObject();
  for (size_t i : terminal)
    out.AddMember(JsonValue(raw.stages[i].spec.id, out.GetAllocator()), reference(i),
                  out.GetAllocator());
}

}  // namespace

void build_input_and_output(RawPipeline& raw, const std::vector<size_t>& order,
                            const std::vector<std::vector<size_t>>& needs,
                            Diagnostics& diagnostics) {
  if (raw.input) build_input(raw, diagnostics);
  std::unordered_map<std::string, size_t> position;
  for (size_t p = 0; p < order.size(); ++p) position.emplace(raw.stages[order[p]].spec.id, p);
  TemplateCompiler::Options options;
  options.resolve_stage = [&](std::string_view id, std::string& error) -> std::optional<size_t> {
    auto it = position.find(std::string(id));
    if (it != position.end()) return it->second;
    error = "there is no stage '" + std::string(id) + "'";
    return std::nullopt;
  };
  Json output;
  PointerMarks marks;
  if (raw.output) {
    std::vector<Problem> problems;
    yaml_to_json(*raw.output, output, output.GetAllocator(), marks, problems);
    for (Problem& problem : problems) diagnostics.add(problem.mark, problem.message);
  } else {
    default_output(raw, needs, output);
  }
  std::vector<TemplateCompiler::Error> errors;
  TemplateCompiler::compile(output, options, raw.spec.output, errors);
  for (const auto& error : errors)
    diagnostics.add(marks.find(error.pointer, raw.output_mark), "output: " + error.message);
}

}  // namespace aiw::pipeline::internal
