// One stage entry as written: its fields, types checked, ids not yet resolved.
#include <limits>

#include "pipeline/loader_internal.h"

namespace aiw::pipeline::internal {
namespace {

void parse_needs(const YAML::Node& node, const std::string& where, RawStage& stage,
                 Diagnostics& diagnostics) {
  if (node.IsScalar()) {
    if (auto id = read_string(node, where + ": needs", diagnostics))
      stage.needs.emplace_back(*id, mark_of(node));
    return;
  }
  if (!node.IsSequence()) {
    diagnostics.add(
        mark_of(node),
        where + ": needs must be a stage id or a list of stage ids, got " + describe(node));
    return;
  }
  for (const auto& item : node)
    if (auto id = read_string(item, where + ": needs", diagnostics))
      stage.needs.emplace_back(*id, mark_of(item));
}

void parse_options(const YAML::Node& node, const std::string& where, const RawPipeline& pipeline,
                   RawStage& stage, Diagnostics& diagnostics) {
  StageSpec& spec = stage.spec;
  spec.timeout_ms = pipeline.spec.stage_timeout_ms;
  if (node["timeout"]) {
    if (auto ms = read_duration(node["timeout"], where + ": timeout", diagnostics))
      spec.timeout_ms = *ms;
  }
  if (node["concurrency"]) {
    if (auto n = read_integer(node["concurrency"], 0, std::numeric_limits<int>::max(),
                              where + ": concurrency", diagnostics))
      spec.concurrency = static_cast<int>(*n);
  }
  if (node["optional"]) {
    if (auto optional = read_bool(node["optional"], where + ": optional", diagnostics))
      spec.optional = *optional;
  }
  if (node["retry"]) {
    if (auto retry = read_retry(node["retry"], where + ": retry", diagnostics)) spec.retry = *retry;
  }
}

void parse_stage(const YAML::Node& node, size_t index, const RawPipeline& pipeline, RawStage& stage,
                 Diagnostics& diagnostics) {
  stage.spec.mark = mark_of(node);
  stage.with_mark = stage.spec.mark;
  std::string where = "stage " + std::to_string(index + 1);
  if (node["id"]) {
    stage.id_mark = mark_of(node["id"]);
    if (auto id = read_identifier(node["id"], where + ": id", diagnostics)) {
      stage.spec.id = *id;
      where = "stage '" + *id + "'";
    }
  } else {
    diagnostics.add(stage.spec.mark, where + " needs an id, e.g. id: detect");
  }
  check_keys(node, {"id", "uses", "needs", "with", "timeout", "concurrency", "optional", "retry"},
             where, diagnostics);
  if (node["uses"]) {
    stage.uses_mark = mark_of(node["uses"]);
    if (auto uses = read_string(node["uses"], where + ": uses", diagnostics))
      stage.spec.uses = *uses;
  } else {
    diagnostics.add(stage.spec.mark, where + " needs a stage type, e.g. uses: http.fetch");
  }
  if (node["needs"]) parse_needs(node["needs"], where, stage, diagnostics);
  if (node["with"]) {
    const YAML::Node with = node["with"];
    for (auto it = node.begin(); it != node.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == "with")
        stage.with_mark = mark_of(it->first);
    if (with.IsMap())
      stage.with.emplace(with);
    else if (!(with.IsScalar() && classify_scalar(with).kind == Scalar::Kind::kNull))
      diagnostics.add(mark_of(with),
                      where + ": with must be a mapping of parameters, got " + describe(with));
  }
  parse_options(node, where, pipeline, stage, diagnostics);
}

}  // namespace

void parse_stages(const YAML::Node& stages, const RawPipeline& pipeline, std::vector<RawStage>& out,
                  Diagnostics& diagnostics) {
  for (size_t i = 0; i < stages.size(); ++i) {
    const YAML::Node node = stages[i];
    if (!node.IsMap()) {
      diagnostics.add(mark_of(node), "stage " + std::to_string(i + 1) +
                                         " must be a mapping with id and uses, got " +
                                         describe(node));
      continue;
    }
    out.emplace_back();
    parse_stage(node, i, pipeline, out.back(), diagnostics);
  }
}

}  // namespace aiw::pipeline::internal
