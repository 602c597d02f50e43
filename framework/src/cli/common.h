// Pieces every `aiw` command shares: loading plugins and pipelines with their complaints
// printed for a person.
#pragma once

#include "engine/engine.h"
#include "pipeline/spec.h"
#include "plugin/registry.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aiw::cli {

// Loads the plugins on the discovery path; prints each refusal to stderr as a warning.
std::unique_ptr<plugin::PluginRegistry> load_plugins();

// Loads and validates a pipeline; prints its diagnostics to stderr when it has any.
std::optional<pipeline::PipelineSpec> load_pipeline(const std::string& path,
                                                    const plugin::PluginRegistry& registry);

// Loads a pipeline and builds its engine; prints what went wrong (prefixed with `command`) and
// returns null on failure. The registry must outlive the engine.
std::unique_ptr<engine::Engine> load_engine(const std::string& path,
                                            const plugin::PluginRegistry& registry,
                                            const char* command);

// Sets AIW_PIPELINE_DIR (where pipelines' relative data paths, e.g. the nutrition table,
// resolve) to the folder of the first pipeline path, unless the deployment set it.
void set_default_pipeline_dir(const std::vector<std::string>& pipeline_paths);

// Milliseconds with two decimals, for tables.
std::string format_ms(double nanoseconds);

}  // namespace aiw::cli
