// Opening one plugin file and checking everything the host can check about it on its own.
//
// Checks that need the other plugins (duplicate stage types across files) live in the
// registry; everything here depends on the file alone.
#pragma once

#include <aiw/abi.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "plugin/registry.h"

namespace aiw::plugin::internal {

// Closes a dlopen handle when the last owner lets go.
struct DlCloser {
  void operator()(void* handle) const;
};
using DlHandle = std::unique_ptr<void, DlCloser>;

// A plugin that passed every file-local check. StageTypeInfo::raw points into the loaded
// library, so the infos must not outlive `handle` (declared first: destroyed last).
struct LoadedPlugin {
  DlHandle handle;
  std::string file;       // the path as given
  std::string real_path;  // for "is this file already loaded?"
  std::string name;
  std::string version;
  std::vector<StageTypeInfo> stage_types;
};

// dlopen(RTLD_NOW | RTLD_LOCAL)s path, calls its entry point with host and checks the tables.
// On refusal the library is closed again and the error is a sentence naming the file.
Result<std::unique_ptr<LoadedPlugin>> open_plugin(const std::string& path,
                                                  const aiw_host_api* host);

// "plugin <path> refused: <reason>" — the one shape every refusal takes.
std::string refusal(const std::string& path, const std::string& reason);

}  // namespace aiw::plugin::internal
