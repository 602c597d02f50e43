// Where plugins are looked for, and which files in a folder count as plugins.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string_view>
#include <system_error>

#include "common/path_list.h"
#include "plugin/registry.h"
#include "plugin/registry_impl.h"

#ifndef AIW_DEFAULT_PLUGIN_DIR
#define AIW_DEFAULT_PLUGIN_DIR "/usr/local/lib/aiw/plugins"
#endif

namespace aiw::plugin {
namespace {

namespace fs = std::filesystem;

// The install layout is <prefix>/bin/aiw beside <prefix>/lib/aiw/plugins; the build tree
// mirrors it, so the binary finds its plugins wherever the prefix was moved to.
std::string beside_executable() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (exe.parent_path() / ".." / "lib" / "aiw" / "plugins").string();
}

}  // namespace

std::vector<std::string> PluginRegistry::default_search_path() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("AIW_PLUGIN_PATH")) candidates = split_path_list(env);
  candidates.push_back(beside_executable());
  candidates.push_back(AIW_DEFAULT_PLUGIN_DIR);

  std::vector<std::string> out;
  std::set<fs::path> seen;
  for (const std::string& dir : candidates) {
    std::error_code ec;
    if (dir.empty() || !fs::is_directory(dir, ec)) continue;
    fs::path real = fs::canonical(dir, ec);
    if (ec || !seen.insert(real).second) continue;
    out.push_back(real.string());
  }
  return out;
}

void PluginRegistry::load_default() {
  for (const std::string& dir : default_search_path()) load_directory(dir);
}

void PluginRegistry::load_directory(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code file_ec;
    if (it->path().extension() == ".so" && it->is_regular_file(file_ec))
      files.push_back(it->path());
  }
  if (ec) {
    impl_->refusals.push_back("plugin folder " + dir + " cannot be read: " + ec.message());
    return;
  }
  // Name order makes "which duplicate wins" the same on every machine.
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) load_file(file.string());
}

}  // namespace aiw::plugin
