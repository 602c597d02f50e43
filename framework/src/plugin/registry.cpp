#include "plugin/registry.h"

#include <stdlib.h>

#include "engine/host_api.h"
#include "plugin/registry_impl.h"

namespace aiw::plugin {

PluginRegistry::PluginRegistry() : PluginRegistry(engine::host_api()) {}

PluginRegistry::PluginRegistry(const aiw_host_api* host) : impl_(std::make_unique<Impl>()) {
  impl_->host = host;
}

PluginRegistry::~PluginRegistry() {
  // The index points into the plugins' infos: drop it first, then unload in reverse order.
  impl_->by_name.clear();
  while (!impl_->plugins.empty()) impl_->plugins.pop_back();
}

Status PluginRegistry::load_file(const std::string& path) {
  char* real = realpath(path.c_str(), nullptr);
  std::string real_path = real != nullptr ? real : path;
  free(real);
  for (const auto& p : impl_->plugins)
    if (p->real_path == real_path) return Status();

  auto opened = internal::open_plugin(path, impl_->host);
  if (!opened.ok()) {
    impl_->refusals.push_back(opened.error());
    return opened.status();
  }
  std::unique_ptr<internal::LoadedPlugin> plugin = std::move(*opened);
  // First come, first kept: discovery order is the user's precedence (AIW_PLUGIN_PATH first).
  for (const StageTypeInfo& t : plugin->stage_types) {
    if (const StageTypeInfo* existing = find(t.name)) {
      Status s = Status::error(
          internal::refusal(path, "stage type " + t.name + " is already provided by " +
                                      existing->plugin_file + " (the first one loaded is kept)"));
      impl_->refusals.push_back(s.message());
      return s;  // plugin's destructor closes the library
    }
  }
  for (const StageTypeInfo& t : plugin->stage_types) impl_->by_name.emplace(t.name, &t);
  impl_->plugins.push_back(std::move(plugin));
  return Status();
}

const StageTypeInfo* PluginRegistry::find(std::string_view stage_type) const {
  auto it = impl_->by_name.find(stage_type);
  return it == impl_->by_name.end() ? nullptr : it->second;
}

std::vector<const StageTypeInfo*> PluginRegistry::all() const {
  std::vector<const StageTypeInfo*> out;
  out.reserve(impl_->by_name.size());
  for (const auto& [name, info] : impl_->by_name) out.push_back(info);  // map: sorted by name
  return out;
}

const std::vector<std::string>& PluginRegistry::refusals() const { return impl_->refusals; }

const char* PluginRegistry::params_schema(std::string_view stage_type) const {
  const StageTypeInfo* info = find(stage_type);
  return info != nullptr ? info->params_schema.c_str() : nullptr;
}

std::vector<std::string> PluginRegistry::stage_type_names() const {
  std::vector<std::string> out;
  out.reserve(impl_->by_name.size());
  for (const auto& [name, info] : impl_->by_name) out.push_back(name);
  return out;
}

}  // namespace aiw::plugin
