// The webhook plugin: webhook.notify (notify.cpp).
#include <aiw/plugin.h>

AIW_PLUGIN("webhook", "1.0.0");
