// A plugin table shorter than ABI 1.0 requires (as from a broken or truncated build).
#include <cstddef>

#include "c_abi_table.h"

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api*) {
  static aiw_plugin_api api{offsetof(aiw_plugin_api, name),
                            AIW_ABI_MAJOR,
                            AIW_ABI_MINOR,
                            nullptr,
                            nullptr,
                            0,
                            nullptr,
                            nullptr};
  return &api;
}
