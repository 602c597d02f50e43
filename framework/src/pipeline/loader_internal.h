// Internal: the pieces of the pipeline loader (see loader.h) and what they hand each other.
// Not part of any API.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/loader.h"
#include "pipeline/yaml_util.h"

namespace aiw::pipeline::internal {

// Collects every problem of one file; the loader reports them all, sorted by position.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void add(Mark mark, std::string message) { items_.push_back({file_, mark, std::move(message)}); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  std::vector<Diagnostic> take();

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
};

// A stage as written, before ids are resolved to indices and references are checked.
struct RawStage {
  StageSpec spec;  // every field but needs and with
  Mark id_mark, uses_mark;
  std::vector<std::pair<std::string, Mark>> needs;
  std::optional<YAML::Node> with;  // a mapping; absent when not written
  Mark with_mark;                  // the `with` key (the stage when absent)
};

struct RawPipeline {
  PipelineSpec spec;  // header fields
  std::vector<RawStage> stages;
  std::optional<YAML::Node> input, output;  // absent when not written
  Mark input_mark, output_mark;
};

// Readers for one field; each reports its own problem and returns nullopt.
// `what` names the field in sentences, e.g. "stage 'detect': timeout".
void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                const std::string& where, Diagnostics& diagnostics);
std::optional<std::string> read_string(const YAML::Node& node, const std::string& what,
                                       Diagnostics& diagnostics);
std::optional<std::string> read_identifier(const YAML::Node& node, const std::string& what,
                                           Diagnostics& diagnostics);
std::optional<bool> read_bool(const YAML::Node& node, const std::string& what,
                              Diagnostics& diagnostics);
std::optional<int64_t> read_integer(const YAML::Node& node, int64_t min, int64_t max,
                                    const std::string& what, Diagnostics& diagnostics);
std::optional<int64_t> read_duration(const YAML::Node& node, const std::string& what,
                                     Diagnostics& diagnostics);
std::optional<RetryPolicy> read_retry(const YAML::Node& node, const std::string& what,
                                      Diagnostics& diagnostics);

// The document's top level: header fields, defaults, cache, and the stages as written.
void parse_document(const YAML::Node& root, RawPipeline& out, Diagnostics& diagnostics);
void parse_stages(const YAML::Node& stages, const RawPipeline& pipeline, std::vector<RawStage>& out,
                  Diagnostics& diagnostics);

// The DAG: unique ids, known needs, no cycle. On success, order is a topological order of the
// stage indices (declaration order kept where the graph allows) and needs[i] the upstream
// indices (in declaration numbering) of stage i.
bool check_graph(const std::vector<RawStage>& stages, std::vector<size_t>& order,
                 std::vector<std::vector<size_t>>& needs, Diagnostics& diagnostics);

// Per stage: a known type, parameters that fit its schema, references to upstream stages only.
// Fills spec.stages from raw stages in the given order.
void build_stages(RawPipeline& raw, const std::vector<size_t>& order,
                  const std::vector<std::vector<size_t>>& needs, const StageCatalog& catalog,
                  Diagnostics& diagnostics);
// input (a valid schema) and output (a template over any stage, or the terminal stages).
void build_input_and_output(RawPipeline& raw, const std::vector<size_t>& order,
                            const std::vector<std::vector<size_t>>& needs,
                            Diagnostics& diagnostics);

// The catalog name closest to `name`, when close enough to be a likely typo.
std::optional<std::string> nearest_name(std::string_view name,
                                        const std::vector<std::string>& candidates);

}  // namespace aiw::pipeline::internal
