// An entry point that refuses by returning NULL.
#include "c_abi_table.h"

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api*) { return nullptr; }
