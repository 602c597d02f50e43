// The yolo plugin: yolo.detect (detect.cpp).
#include <aiw/plugin.h>

AIW_PLUGIN("yolo", "1.0.0");
