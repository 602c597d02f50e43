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

// The pipeline paths of a service command: --pipelines, positionals, else the environment's
// PIPELINES_DIR (already split), else ./pipelines; also sets AIW_PIPELINE_DIR (see above).
class Args;
std::vector<std::string> service_pipeline_paths(const Args& args, std::vector<std::string> from_env);

// Blocks SIGTERM and SIGINT in this thread (call before starting any thread, so all inherit
// the mask), then waits for one of them; returns its name.
void block_stop_signals();
const char* wait_for_stop_signal();

// Milliseconds with two decimals, for tables.
std::string format_ms(double nanoseconds);

}  // namespace aiw::cli
