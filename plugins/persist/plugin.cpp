// The persist plugin: persist.row (row.cpp).
#include <aiw/plugin.h>

AIW_PLUGIN("persist", "1.0.0");
