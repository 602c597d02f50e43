#include "common/address_lists.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace aiw::plugin_common {
namespace {

std::vector<std::string> list_values(const aiw::JsonValue& params, const char* name) {
  std::vector<std::string> out;
  const aiw::JsonValue* list = aiw::find_member(params, name);
  if (!list) return out;
  for (const auto& entry : list->GetArray()) {
    std::string_view rest(entry.GetString(), entry.GetStringLength());
    while (true) {
      size_t comma = rest.find(',');
      std::string_view value = rest.substr(0, comma);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (!value.empty()) out.emplace_back(value);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

}  // namespace

AddressLists address_lists(const aiw::JsonValue& params) {
  AddressLists lists;
  lists.http_hosts = list_values(params, "http_hosts");
  for (std::string& host : lists.http_hosts)
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  lists.allow_networks = list_values(params, "allow_networks");
  return lists;
}

}  // namespace aiw::plugin_common
