// A shared object that is not an aiw plugin: it exports something, but not aiw_plugin_v1.
#include "c_abi_table.h"

AIW_TEST_EXPORT int not_an_aiw_plugin() { return 42; }
