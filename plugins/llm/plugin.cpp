// The llm plugin: llm.chat (chat.cpp) over the providers in ollama.cpp and gemini.cpp.
#include <aiw/plugin.h>

AIW_PLUGIN("llm", "1.0.0");
