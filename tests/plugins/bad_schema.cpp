// A stage type whose params_schema is not JSON.
#include "c_abi_table.h"

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api*) {
  static const aiw_stage_type stage{sizeof stage,      "bad_schema.stage",       "1.0.0",
                                    "Broken.",         "{\"type\": \"object\",", nullptr,
                                    &aiw_test::create, &aiw_test::destroy,       &aiw_test::invoke};
  static const aiw_stage_type* const stages[] = {&stage};
  static aiw_plugin_api api{sizeof api, AIW_ABI_MAJOR, AIW_ABI_MINOR, "bad_schema", "1.0.0",
                            1,          stages,        nullptr};
  return &api;
}
