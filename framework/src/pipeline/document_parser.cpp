// The top level of a pipeline file: header, defaults, cache, and stage entries as written.
#include "pipeline/loader_internal.h"

namespace aiw::pipeline::internal {
namespace {

void parse_defaults(const YAML::Node& node, PipelineSpec& spec, Diagnostics& diagnostics) {
  if (!node.IsMap()) {
    diagnostics.add(
        mark_of(node),
        "defaults must be a mapping of timeout, deadline and retry, got " + describe(node));
    return;
  }
  check_keys(node, {"timeout", "deadline", "retry"}, "defaults", diagnostics);
  if (node["timeout"]) {
    auto ms = read_duration(node["timeout"], "defaults.timeout", diagnostics);
    if (ms) spec.stage_timeout_ms = *ms;
  }
  if (node["deadline"]) {
    auto ms = read_duration(node["deadline"], "defaults.deadline", diagnostics);
    if (ms) spec.deadline_ms = *ms;
  }
  if (node["retry"]) {
    auto retry = read_retry(node["retry"], "defaults.retry", diagnostics);
    if (retry) spec.retry = *retry;
  }
}

void parse_cache(const YAML::Node& node, PipelineSpec& spec, Diagnostics& diagnostics) {
  if (!node.IsMap()) {
    diagnostics.add(
        mark_of(node),
        "cache must be a mapping like { enabled: true, ttl: 24h }, got " + describe(node));
    return;
  }
  check_keys(node, {"enabled", "ttl"}, "cache", diagnostics);
  if (node["enabled"]) {
    auto enabled = read_bool(node["enabled"], "cache.enabled", diagnostics);
    if (enabled) spec.cache.enabled = *enabled;
  }
  if (node["ttl"]) {
    auto ms = read_duration(node["ttl"], "cache.ttl", diagnostics);
    if (ms) spec.cache.ttl_seconds = *ms / 1000;
  }
}

}  // namespace

void parse_document(const YAML::Node& root, RawPipeline& out, Diagnostics& diagnostics) {
  check_keys(root,
             {"name", "version", "description", "input", "defaults", "cache", "stages", "output"},
             "the pipeline", diagnostics);
  PipelineSpec& spec = out.spec;
  Mark top = mark_of(root);
  if (!root["name"])
    diagnostics.add(top, "the pipeline needs a name (the job type), e.g. name: sofia_image");
  else if (auto name = read_identifier(root["name"], "name", diagnostics))
    spec.name = *name;
  if (!root["version"])
    diagnostics.add(top, "the pipeline needs a version, e.g. version: \"1.0.0\"");
  else if (auto version = read_string(root["version"], "version", diagnostics))
    spec.version = *version;
  if (root["description"]) {
    if (auto text = read_string(root["description"], "description", diagnostics))
      spec.description = *text;
  }
  if (root["defaults"]) parse_defaults(root["defaults"], spec, diagnostics);
  if (root["cache"]) parse_cache(root["cache"], spec, diagnostics);
  if (root["input"]) {
    out.input.emplace(root["input"]);
    out.input_mark = mark_of(*out.input);
  }
  if (root["output"]) {
    out.output.emplace(root["output"]);
    out.output_mark = mark_of(*out.output);
  }
  if (!root["stages"]) {
    diagnostics.add(top, "the pipeline needs a non-empty list of stages");
    return;
  }
  const YAML::Node stages = root["stages"];
  if (!stages.IsSequence() || stages.size() == 0) {
    diagnostics.add(mark_of(stages),
                    "stages must be a non-empty list of stages, got " + describe(stages));
    return;
  }
  parse_stages(stages, out, out.stages, diagnostics);
}

}  // namespace aiw::pipeline::internal
