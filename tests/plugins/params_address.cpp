// Reports whether invoke() got the very pointer create() got (ABI 1.2's promise for parameters
// that are exactly the `with` text): completes with {"same_address":true|false}.
#include <string>

#include "c_abi_table.h"

namespace {

const aiw_host_api* g_host = nullptr;

struct Instance {
  const char* config;
  size_t config_len;
};

void* create(const char* config_json, size_t config_len, char*, size_t) {
  return new Instance{config_json, config_len};
}
void destroy(void* instance) { delete static_cast<Instance*>(instance); }

void invoke(void* instance, aiw_call* call, const char* params, size_t len) {
  const auto* made = static_cast<const Instance*>(instance);
  bool same = params == made->config && len == made->config_len;
  std::string out = same ? R"({"same_address":true})" : R"({"same_address":false})";
  g_host->call_complete(call, out.data(), out.size());
}

const aiw_stage_type kParams{sizeof(aiw_stage_type), "paramsaddr.check", "1.0.0",
                             "Tells whether its parameters came at create()'s address.",
                             R"({"type":"object"})", nullptr, &create, &destroy, &invoke};
const aiw_stage_type* const kTypes[] = {&kParams};

}  // namespace

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api* host) {
  g_host = host;
  static aiw_plugin_api api{sizeof api, AIW_ABI_MAJOR, AIW_ABI_MINOR, "params_address", "1.0.0",
                            1, kTypes, nullptr};
  return &api;
}
