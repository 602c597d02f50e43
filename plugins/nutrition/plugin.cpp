// The nutrition plugin: stages that compute with food-composition tables (one per file here).
#include <aiw/plugin.h>

AIW_PLUGIN("nutrition", "1.0.0");
