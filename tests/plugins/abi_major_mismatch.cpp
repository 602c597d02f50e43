// A plugin built for ABI 2.0: the host must refuse it naming both versions.
#include "c_abi_table.h"

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api*) {
  static aiw_plugin_api api{sizeof api, 2, 0, "abi_major_mismatch", "1.0.0", 0, nullptr, nullptr};
  return &api;
}
