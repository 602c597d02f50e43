// A plugin built for a newer minor ABI than the host's: it may use table fields the host
// does not have, so the host must refuse it.
#include "c_abi_table.h"

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api*) {
  static aiw_plugin_api api{sizeof api,        AIW_ABI_MAJOR, AIW_ABI_MINOR + 1,
                            "abi_minor_newer", "1.0.0",       0,
                            nullptr,           nullptr};
  return &api;
}
