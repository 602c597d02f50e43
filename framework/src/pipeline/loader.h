// Loading and validating pipeline YAML files.
#pragma once

#include "common/status.h"
#include "pipeline/spec.h"

#include <string>
#include <string_view>
#include <vector>

namespace aiw::pipeline {

// One problem in a pipeline file: "file:line:column: sentence".
struct Diagnostic {
  std::string file;
  Mark mark;
  std::string message;
  std::string to_string() const;
};

// What the loader needs to know about stage types (implemented by the plugin registry).
class StageCatalog {
 public:
  virtual ~StageCatalog() = default;
  // JSON Schema text of a stage type's parameters, or nullptr when the type is unknown.
  virtual const char* params_schema(std::string_view stage_type) const = 0;
  // All known stage type names (for "did you mean").
  virtual std::vector<std::string> stage_type_names() const = 0;
};

struct LoadResult {
  std::optional<PipelineSpec> spec;  // set when there are no diagnostics
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return spec.has_value(); }
};

// Limits that keep a hostile file (YAML bomb, deep nesting, huge file) bounded.
struct LoadLimits {
  size_t max_file_bytes = 1 << 20;  // 1 MiB
  size_t max_depth = 64;            // nesting of mappings/sequences
  size_t max_nodes = 100000;        // nodes after alias expansion
};

LoadResult load_pipeline_file(const std::string& path, const StageCatalog& catalog,
                              const LoadLimits& limits = {});
// Same, from text already in memory; file is only used in diagnostics.
LoadResult load_pipeline_text(std::string_view yaml, const std::string& file,
                              const StageCatalog& catalog, const LoadLimits& limits = {});

}  // namespace aiw::pipeline
