// A plugin that could not initialise and says why through init_error.
#include "c_abi_table.h"

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api*) {
  static aiw_plugin_api api{sizeof api,    AIW_ABI_MAJOR,
                            AIW_ABI_MINOR, "init_error",
                            "1.0.0",       0,
                            nullptr,       "the model file /x/y.onnx is missing"};
  return &api;
}
