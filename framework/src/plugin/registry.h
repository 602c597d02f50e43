// PluginRegistry: finds, loads and checks stage plugins, and answers "which stage types exist".
//
// Discovery: every *.so in the folders of AIW_PLUGIN_PATH (colon-separated), then the
// install's plugin folder (<binary>/../lib/aiw/plugins, then the configured install path).
// Each file is dlopen'ed with RTLD_NOW | RTLD_LOCAL and refused, with a sentence naming the
// file, when: dlopen fails, there is no aiw_plugin_v1 entry point, the entry returns NULL or
// an init_error, the ABI major differs or its minor is newer than the host's (both versions
// named), or it declares a stage type another plugin already has. A refusal never stops the
// others from loading. Plugins stay loaded for the life of the registry.
//
// Loading is meant for start-up, from one thread; once loaded, the const queries may be called
// from any number of threads.
#pragma once

#include <aiw/abi.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pipeline/loader.h"
#include "plugin/stage_instance.h"

namespace aiw::plugin {

struct StageTypeInfo {
  std::string name;
  std::string version;
  std::string description;
  std::string params_schema;  // JSON text
  std::string output_schema;  // JSON text, "" when none
  std::string plugin_name;
  std::string plugin_file;
  const aiw_stage_type* raw = nullptr;  // the plugin's table (create/destroy/invoke)
};

class PluginRegistry : public pipeline::StageCatalog {
 public:
  // Plugins receive aiw::engine::host_api().
  PluginRegistry();
  // Plugins receive host instead (tests run stages against a fake host). host must outlive
  // every call into the plugins.
  explicit PluginRegistry(const aiw_host_api* host);
  ~PluginRegistry() override;
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Loads every plugin on the discovery path (see above).
  void load_default();
  // Loads every *.so in a folder (not recursive), in name order.
  void load_directory(const std::string& dir);
  // Loads one file; on refusal returns the sentence (also kept in refusals()). Loading a file
  // that is already loaded (same real path) does nothing.
  Status load_file(const std::string& path);

  const StageTypeInfo* find(std::string_view stage_type) const;
  std::vector<const StageTypeInfo*> all() const;  // sorted by name
  const std::vector<std::string>& refusals() const;
  // Folders searched by load_default(), in order: those that exist, each once (by realpath).
  static std::vector<std::string> default_search_path();

  // Makes an instance of a stage type from its `with` block (JSON text). Errors name the stage
  // type and the plugin file. The instance must not outlive this registry.
  static Result<StageInstance> create_instance(const StageTypeInfo& type,
                                               std::string_view with_json);

  // pipeline::StageCatalog
  const char* params_schema(std::string_view stage_type) const override;
  std::vector<std::string> stage_type_names() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aiw::plugin
