// Per-stage checks that need the whole pipeline: stage types, parameter schemas, references.
#include <unordered_map>

#include "json/schema.h"
#include "pipeline/loader_internal.h"
#include "pipeline/template_compiler.h"
#include "pipeline/yaml_to_json.h"

namespace aiw::pipeline::internal {
namespace {

// Stage ids, their position in the final (topological) order, and upstream sets on demand.
class StageIndex {
 public:
  StageIndex(const std::vector<RawStage>& stages, const std::vector<size_t>& order,
             const std::vector<std::vector<size_t>>& needs)
      : stages_(stages), needs_(needs), position_(stages.size()) {
    for (size_t i = 0; i < stages.size(); ++i) {
      ids_.emplace(stages[i].spec.id, i);  // the first wins, like check_graph
      names_.push_back(stages[i].spec.id);
    }
    for (size_t p = 0; p < order.size(); ++p) position_[order[p]] = p;
  }

  // A resolver for the stage at declaration index `reader` (or any stage when nullopt).
  TemplateCompiler::StageResolver resolver(std::optional<size_t> reader) {
    return [this, reader](std::string_view id, std::string& error) -> std::optional<size_t> {
      auto it = ids_.find(std::string(id));
      if (it == ids_.end()) {
        auto suggestion = nearest_name(id, names_);
        error = "there is no stage '" + std::string(id) + "'" +
                (suggestion ? "; did you mean '" + *suggestion + "'?" : "");
        return std::nullopt;
      }
      if (reader && !is_upstream(it->second, *reader)) {
        error = "stage '" + std::string(id) + "' is not upstream of stage '" +
                stages_[*reader].spec.id +
                "'; add it to needs (directly or through a stage it needs)";
        return std::nullopt;
      }
      return position_[it->second];
    };
  }
  size_t position(size_t index) const { return position_[index]; }

 private:
  // Breadth-first over needs; iterative so a long chain cannot exhaust the stack.
  bool is_upstream(size_t candidate, size_t reader) const {
    std::vector<bool> seen(stages_.size());
    std::vector<size_t> todo = needs_[reader];
    while (!todo.empty()) {
      size_t current = todo.back();
      todo.pop_back();
      if (current == candidate) return true;
      if (seen[current]) continue;
      seen[current] = true;
      todo.insert(todo.end(), needs_[current].begin(), needs_[current].end());
    }
    return false;
  }

  const std::vector<RawStage>& stages_;
  const std::vector<std::vector<size_t>>& needs_;
  std::vector<size_t> position_;
  std::unordered_map<std::string, size_t> ids_;
  std::vector<std::string> names_;
};

class StageChecker {
 public:
  StageChecker(const StageCatalog& catalog, StageIndex& index, Diagnostics& diagnostics)
      : catalog_(catalog), index_(index), diagnostics_(diagnostics) {}

  void check(RawStage& stage, size_t declared);

 private:
  const json::Schema* schema_for(const RawStage& stage);
  void check_params(const RawStage& stage, const JsonValue& with, const PointerMarks& marks);

  const StageCatalog& catalog_;
  StageIndex& index_;
  Diagnostics& diagnostics_;
  std::unordered_map<std::string, Result<json::Schema>> schemas_;
};

const json::Schema* StageChecker::schema_for(const RawStage& stage) {
  const std::string& type = stage.spec.uses;
  auto it = schemas_.find(type);
  if (it == schemas_.end()) {
    const char* text = catalog_.params_schema(type);
    if (!text) {
      auto suggestion = nearest_name(type, catalog_.stage_type_names());
      diagnostics_.add(stage.uses_mark, "unknown stage type '" + type + "'" +
                                            (suggestion ? "; did you mean '" + *suggestion + "'?"
                                                        : "; `aiw plugins` lists the stage types"));
      return nullptr;
    }
    it = schemas_.emplace(type, json::Schema::compile_text(text)).first;
    if (!it->second.ok())
      diagnostics_.add(stage.uses_mark,
                       "stage type '" + type + "' declares a parameter schema aiw cannot use (" +
                           it->second.error() + "); report it to the plugin author");
  }
  return it->second.ok() ? &it->second.value() : nullptr;
}

void StageChecker::check_params(const RawStage& stage, const JsonValue& with,
                                const PointerMarks& marks) {
  const json::Schema* schema = schema_for(stage);
  if (!schema) return;
  std::vector<json::SchemaError> errors;
  json::DeferralFn deferral = TemplateCompiler::deferral_of;
  schema->validate(with, errors, &deferral);
  std::string where = "stage '" + stage.spec.id + "' (" + stage.spec.uses + "): ";
  for (const json::SchemaError& error : errors) {
    Mark mark =
        error.pointer.empty() ? stage.with_mark : marks.find(error.pointer, stage.with_mark);
    diagnostics_.add(
        mark, where + (error.pointer.empty() ? "parameters " : "parameter " + error.pointer + " ") +
                  error.message);
  }
}

void StageChecker::check(RawStage& stage, size_t declared) {
  Json with;
  with.SetObject();
  PointerMarks marks;
  if (stage.with) {
    std::vector<Problem> problems;
    yaml_to_json(*stage.with, with, with.GetAllocator(), marks, problems);
    for (Problem& problem : problems) diagnostics_.add(problem.mark, problem.message);
  }
  stage.spec.with_json = to_string(with);
  if (!stage.spec.uses.empty()) check_params(stage, with, marks);
  TemplateCompiler::Options options{index_.resolver(declared), {}};
  std::vector<TemplateCompiler::Error> errors;
  TemplateCompiler::compile(with, options, stage.spec.with, errors);
  for (const auto& error : errors)
    diagnostics_.add(marks.find(error.pointer, stage.with_mark),
                     "stage '" + stage.spec.id + "': " + error.message);
}

}  // namespace

void build_stages(RawPipeline& raw, const std::vector<size_t>& order,
                  const std::vector<std::vector<size_t>>& needs, const StageCatalog& catalog,
                  Diagnostics& diagnostics) {
  StageIndex index(raw.stages, order, needs);
  StageChecker checker(catalog, index, diagnostics);
  for (size_t i = 0; i < raw.stages.size(); ++i) checker.check(raw.stages[i], i);
  if (!diagnostics.empty()) return;
  raw.spec.stages.clear();
  for (size_t i : order) {
    StageSpec& spec = raw.stages[i].spec;
    for (size_t need : needs[i]) spec.needs.push_back(index.position(need));
    std::sort(spec.needs.begin(), spec.needs.end());
    spec.needs.erase(std::unique(spec.needs.begin(), spec.needs.end()), spec.needs.end());
    raw.spec.stages.push_back(std::move(spec));
  }
}

}  // namespace aiw::pipeline::internal
