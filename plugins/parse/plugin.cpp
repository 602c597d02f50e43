// The parse plugin: stages that read structured data out of model answers (one per file here).
#include <aiw/plugin.h>

AIW_PLUGIN("parse", "1.0.0");
