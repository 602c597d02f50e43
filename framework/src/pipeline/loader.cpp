// Entry points of the pipeline loader (see loader.h): read, parse within limits, validate.
#include "pipeline/loader.h"

#include <sys/stat.h>
#include <yaml-cpp/depthguard.h>

#include <fstream>
#include <sstream>

#include "pipeline/loader_internal.h"
#include "pipeline/yaml_to_json.h"

namespace aiw::pipeline {
namespace {

using internal::Diagnostics;

LoadResult failed(Diagnostics& diagnostics) {
  LoadResult result;
  result.diagnostics = diagnostics.take();
  return result;
}

std::string too_big(size_t size, size_t limit) {
  return "the file is " + std::to_string(size) + " bytes, over the limit of " +
         std::to_string(limit) + " bytes for a pipeline";
}

// Parses the text; nullopt after reporting why. yaml-cpp 0.7 guards its own recursion (it
// throws DeepRecursion past 2000 levels, with a misleading "bad file" text we replace), so
// deeply nested input ends here as an error rather than a stack overflow.
std::optional<YAML::Node> parse_yaml(std::string_view text, const LoadLimits& limits,
                                     Diagnostics& diagnostics) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    return root;
  } catch (const YAML::DeepRecursion& e) {
    diagnostics.add(internal::to_mark(e.mark),
                    "nesting is deeper than " + std::to_string(limits.max_depth) +
                        " levels of mappings and lists; flatten the document");
  } catch (const YAML::ParserException& e) {
    diagnostics.add(internal::to_mark(e.mark), "malformed YAML: " + e.msg);
  } catch (const std::exception& e) {
    diagnostics.add({1, 1}, std::string("cannot read the YAML: ") + e.what());
  }
  return std::nullopt;
}

LoadResult validate(const YAML::Node& root, const std::string& file, const StageCatalog& catalog,
                    const LoadLimits& limits, Diagnostics& diagnostics) {
  if (auto problem = internal::check_limits(root, limits)) {
    diagnostics.add(problem->mark, problem->message);
    return failed(diagnostics);
  }
  if (!root.IsMap()) {
    diagnostics.add(root.IsDefined() && !root.IsNull() ? internal::mark_of(root) : Mark{1, 1},
                    "a pipeline file must be a mapping with name, version and stages");
    return failed(diagnostics);
  }
  internal::RawPipeline raw;
  raw.spec.file = file;
  internal::parse_document(root, raw, diagnostics);
  std::vector<size_t> order;
  std::vector<std::vector<size_t>> needs;
  internal::check_graph(raw.stages, order, needs, diagnostics);
  // Before build_stages, which moves the stages into the spec when all is well.
  internal::build_input_and_output(raw, order, needs, diagnostics);
  internal::build_stages(raw, order, needs, catalog, diagnostics);
  if (!diagnostics.empty()) return failed(diagnostics);
  LoadResult result;
  result.spec = std::move(raw.spec);
  return result;
}

}  // namespace

std::string Diagnostic::to_string() const {
  return file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column) + ": " +
         message;
}

LoadResult load_pipeline_text(std::string_view yaml, const std::string& file,
                              const StageCatalog& catalog, const LoadLimits& limits) {
  Diagnostics diagnostics(file);
  if (yaml.size() > limits.max_file_bytes) {
    diagnostics.add({1, 1}, too_big(yaml.size(), limits.max_file_bytes));
    return failed(diagnostics);
  }
  std::optional<YAML::Node> root = parse_yaml(yaml, limits, diagnostics);
  if (!root) return failed(diagnostics);
  try {
    return validate(*root, file, catalog, limits, diagnostics);
  } catch (const std::exception& e) {  // yaml-cpp or RapidJSON misuse: a bug, not a crash
    diagnostics.add({1, 1}, std::string("internal error while validating: ") + e.what());
    return failed(diagnostics);
  }
}

LoadResult load_pipeline_file(const std::string& path, const StageCatalog& catalog,
                              const LoadLimits& limits) {
  Diagnostics diagnostics(path);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    diagnostics.add({1, 1}, "cannot open the pipeline file (missing or not a regular file)");
    return failed(diagnostics);
  }
  // Checked before reading so that a huge file costs nothing.
  if (static_cast<size_t>(info.st_size) > limits.max_file_bytes) {
    diagnostics.add({1, 1}, too_big(static_cast<size_t>(info.st_size), limits.max_file_bytes));
    return failed(diagnostics);
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    diagnostics.add({1, 1}, "cannot read the pipeline file");
    return failed(diagnostics);
  }
  return load_pipeline_text(text.str(), path, catalog, limits);
}

}  // namespace aiw::pipeline
