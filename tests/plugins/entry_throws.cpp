// A C++ plugin whose entry point lets an exception escape: the host must catch it.
#include <stdexcept>

#include "c_abi_table.h"

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api*) {
  throw std::runtime_error("entry_throws failed to start");
}
