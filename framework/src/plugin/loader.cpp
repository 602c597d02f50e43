#include "plugin/loader.h"

#include <aiw/json.h>
#include <dlfcn.h>
#include <stdlib.h>

#include <cstddef>
#include <exception>
#include <set>
#include <string_view>

namespace aiw::plugin::internal {

void DlCloser::operator()(void* handle) const {
  if (handle != nullptr) dlclose(handle);
}

std::string refusal(const std::string& path, const std::string& reason) {
  return "plugin " + path + " refused: " + reason;
}

namespace {

std::string or_empty(const char* s) { return s != nullptr ? s : ""; }

std::string version_text(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// "plugin.stage": dot-separated segments of letters, digits, '_' or '-'. The dot keeps stage
// types of different plugins apart; the character set keeps them safe in YAML, metrics labels
// and log lines.
bool valid_stage_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  bool has_dot = false;
  char previous = 0;
  for (char c : name) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
    if (c == '.') {
      if (previous == '.') return false;
      has_dot = true;
    } else if (!word) {
      return false;
    }
    previous = c;
  }
  return has_dot;
}

// A JSON Schema is an object or a boolean (draft 6+).
bool valid_schema(const char* text) {
  Json doc;
  return text != nullptr && parse_json(text, doc) && (doc.IsObject() || doc.IsBool());
}

// The version fields come first so that they can be read before the rest of the table has
// been proven to have our layout.
constexpr size_t kVersionFieldsEnd = offsetof(aiw_plugin_api, abi_minor) + sizeof(uint16_t);

Status check_versions(const aiw_plugin_api& api) {
  if (api.struct_size < kVersionFieldsEnd)
    return Status::error("its plugin table is " + std::to_string(api.struct_size) +
                         " bytes, too small to hold even the ABI version");
  std::string theirs = version_text(api.abi_major, api.abi_minor);
  std::string ours = version_text(AIW_ABI_MAJOR, AIW_ABI_MINOR);
  if (api.abi_major != AIW_ABI_MAJOR)
    return Status::error("built for ABI " + theirs + ", this aiw speaks " + ours +
                         ": rebuild the plugin against aiw " + std::to_string(AIW_ABI_MAJOR) +
                         ".x");
  if (api.abi_minor > AIW_ABI_MINOR)
    return Status::error("built for ABI " + theirs + ", newer than this aiw's " + ours +
                         ": upgrade aiw or rebuild the plugin against aiw " + ours);
  if (api.struct_size < sizeof(aiw_plugin_api))
    return Status::error("its plugin table is " + std::to_string(api.struct_size) +
                         " bytes, smaller than the " + std::to_string(sizeof(aiw_plugin_api)) +
                         " that ABI " + theirs + " requires");
  if (api.init_error != nullptr)
    return Status::error(std::string("it could not initialise: ") + api.init_error);
  return Status();
}

Status check_stage_type(const aiw_stage_type* t, size_t index) {
  std::string where = "stage type #" + std::to_string(index);
  if (t == nullptr) return Status::error(where + " is NULL");
  if (t->struct_size < sizeof(aiw_stage_type))
    return Status::error(where + "'s table is " + std::to_string(t->struct_size) +
                         " bytes, smaller than the " + std::to_string(sizeof(aiw_stage_type)) +
                         " required");
  if (t->name == nullptr || !valid_stage_name(t->name))
    return Status::error(where + " has the invalid name \"" + or_empty(t->name) +
                         "\" (expected \"plugin.stage\": letters, digits, '_', '-', dots)");
  std::string named = std::string("stage type ") + t->name;
  if (!valid_schema(t->params_schema))
    return Status::error(named + "'s params_schema is not valid JSON Schema text");
  if (t->output_schema != nullptr && !valid_schema(t->output_schema))
    return Status::error(named + "'s output_schema is not valid JSON Schema text");
  if (t->create == nullptr || t->destroy == nullptr || t->invoke == nullptr)
    return Status::error(named + " lacks a create, destroy or invoke function");
  return Status();
}

Status collect_stage_types(const aiw_plugin_api& api, LoadedPlugin& out) {
  if (api.stage_type_count > 0 && api.stage_types == nullptr)
    return Status::error("it declares " + std::to_string(api.stage_type_count) +
                         " stage types but no table of them");
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < api.stage_type_count; ++i) {
    const aiw_stage_type* t = api.stage_types[i];
    if (Status s = check_stage_type(t, i); !s.ok()) return s;
    if (!seen.insert(t->name).second)
      return Status::error(std::string("it declares stage type ") + t->name + " twice");
    out.stage_types.push_back({t->name, or_empty(t->version), or_empty(t->description),
                               t->params_schema, or_empty(t->output_schema), out.name, out.file,
                               t});
  }
  return Status();
}

// A C++ plugin may let an exception escape its entry point; it must not take the host down.
Result<const aiw_plugin_api*> call_entry(aiw_plugin_entry_fn entry, const aiw_host_api* host) {
  try {
    const aiw_plugin_api* api = entry(host);
    if (api == nullptr) return Status::error("its entry point returned NULL");
    return api;
  } catch (const std::exception& e) {
    return Status::error(std::string("its entry point threw: ") + e.what());
  } catch (...) {
    return Status::error("its entry point threw a non-standard exception");
  }
}

}  // namespace

Result<std::unique_ptr<LoadedPlugin>> open_plugin(const std::string& path,
                                                  const aiw_host_api* host) {
  DlHandle handle(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!handle) {
    const char* why = dlerror();
    return Status::error(refusal(path, why != nullptr ? why : "dlopen failed"));
  }
  auto entry = reinterpret_cast<aiw_plugin_entry_fn>(dlsym(handle.get(), AIW_PLUGIN_ENTRY_NAME));
  if (entry == nullptr)
    return Status::error(
        refusal(path, "no " AIW_PLUGIN_ENTRY_NAME " entry point (is it an aiw plugin?)"));
  Result<const aiw_plugin_api*> api = call_entry(entry, host);
  if (!api.ok()) return Status::error(refusal(path, api.error()));
  if (Status s = check_versions(**api); !s.ok()) return Status::error(refusal(path, s.message()));

  auto plugin = std::make_unique<LoadedPlugin>();
  plugin->file = path;
  char* real = realpath(path.c_str(), nullptr);
  plugin->real_path = real != nullptr ? real : path;
  free(real);
  plugin->name = or_empty((*api)->name);
  plugin->version = or_empty((*api)->version);
  if (Status s = collect_stage_types(**api, *plugin); !s.ok())
    return Status::error(refusal(path, s.message()));
  plugin->handle = std::move(handle);
  return plugin;
}

}  // namespace aiw::plugin::internal
