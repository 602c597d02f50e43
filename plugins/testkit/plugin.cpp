// The testkit plugin: stages that exist to exercise the engine, one per file in this folder.
#include <aiw/plugin.h>

AIW_PLUGIN("testkit", "1.0.0");
