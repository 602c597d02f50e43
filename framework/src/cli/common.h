// Pieces every `aiw` command shares: loading plugins and pipelines with their complaints
// printed for a person.
#pragma once

#include "engine/engine.h"
#include "pipeline/spec.h"
#include "plugin/registry.h"

#include <memory>
#include <optional>
#include <string>

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

// Milliseconds with two decimals, for tables.
std::string format_ms(double nanoseconds);

}  // namespace aiw::cli
