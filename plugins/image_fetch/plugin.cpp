// The image_fetch plugin: image.fetch (fetch.cpp).
#include <aiw/plugin.h>

AIW_PLUGIN("image_fetch", "1.0.0");
