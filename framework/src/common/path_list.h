// Colon-separated folder lists, as in PATH: AIW_PLUGIN_PATH, PIPELINES_DIR, --pipelines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aiw {

// The non-empty items of a colon-separated list: "a::b" and a trailing ':' mean nothing.
inline std::vector<std::string> split_path_list(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t colon = list.find(':');
    std::string_view item = list.substr(0, colon);
    if (!item.empty()) out.emplace_back(item);
    if (colon == std::string_view::npos) break;
    list.remove_prefix(colon + 1);
  }
  return out;
}

}  // namespace aiw
