// A stage type whose name is not of the form "plugin.stage".
#include "c_abi_table.h"

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api*) {
  static const aiw_stage_type stage{sizeof stage,
                                    "bad name!",
                                    "1.0.0",
                                    "Broken.",
                                    "{\"type\":\"object\"}",
                                    nullptr,
                                    &aiw_test::create,
                                    &aiw_test::destroy,
                                    &aiw_test::invoke};
  static const aiw_stage_type* const stages[] = {&stage};
  static aiw_plugin_api api{sizeof api, AIW_ABI_MAJOR, AIW_ABI_MINOR, "bad_stage_name", "1.0.0",
                            1,          stages,        nullptr};
  return &api;
}
