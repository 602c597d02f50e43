// PluginRegistry's private state, shared by registry.cpp and discovery.cpp.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin/loader.h"
#include "plugin/registry.h"

namespace aiw::plugin {

struct PluginRegistry::Impl {
  const aiw_host_api* host = nullptr;
  // Declared before by_name so that the index goes first and the libraries last.
  std::vector<std::unique_ptr<internal::LoadedPlugin>> plugins;
  std::map<std::string, const StageTypeInfo*, std::less<>> by_name;
  std::vector<std::string> refusals;
};

}  // namespace aiw::plugin
