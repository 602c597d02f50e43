#include "cli/common.h"
#include "cli/args.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>

#include "pipeline/loader.h"

#include <cstdio>

namespace aiw::cli {

std::unique_ptr<plugin::PluginRegistry> load_plugins() {
  auto registry = std::make_unique<plugin::PluginRegistry>();
  registry->load_default();
  for (const std::string& refusal : registry->refusals())
    std::fprintf(stderr, "warning: %s\n", refusal.c_str());
  return registry;
}

std::optional<pipeline::PipelineSpec> load_pipeline(const std::string& path,
                                                    const plugin::PluginRegistry& registry) {
  pipeline::LoadResult loaded = pipeline::load_pipeline_file(path, registry);
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  return std::move(loaded.spec);
}

std::unique_ptr<engine::Engine> load_engine(const std::string& path,
                                            const plugin::PluginRegistry& registry,
                                            const char* command) {
  auto spec = load_pipeline(path, registry);
  if (!spec) return nullptr;
  auto created = engine::Engine::create(std::move(*spec), registry);
  if (!created.ok()) {
    std::fprintf(stderr, "%s: %s\n", command, created.error().c_str());
    return nullptr;
  }
  return std::move(*created);
}

std::string format_ms(double nanoseconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", nanoseconds / 1e6);
  return buf;
}

void set_default_pipeline_dir(const std::vector<std::string>& pipeline_paths) {
  if (getenv("AIW_PIPELINE_DIR") != nullptr || pipeline_paths.empty()) return;
  std::filesystem::path first = pipeline_paths.front();
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::is_directory(first, ec) ? first : first.parent_path();
  setenv("AIW_PIPELINE_DIR", std::filesystem::absolute(dir, ec).string().c_str(), 0);
}

std::vector<std::string> service_pipeline_paths(const Args& args, std::vector<std::string> from_env) {
  std::vector<std::string> paths;
  if (auto flag = args.value("pipelines")) paths.push_back(*flag);
  for (const std::string& p : args.positionals()) paths.push_back(p);
  if (paths.empty()) paths = std::move(from_env);
  if (paths.empty()) paths = {"pipelines"};
  set_default_pipeline_dir(paths);
  return paths;
}

namespace {
sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

void block_stop_signals() {
  sigset_t set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

const char* wait_for_stop_signal() {
  sigset_t set = stop_signal_set();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number == SIGTERM ? "SIGTERM" : "SIGINT";
}

}  // namespace aiw::cli
