// Shared by the hand-written C-ABI test plugins: a minimal valid stage type, and a macro for
// an entry point that returns a plugin table with chosen fields.
#pragma once

#include <aiw/abi.h>

namespace aiw_test {

inline void* create(const char*, size_t, char*, size_t) {
  static int instance;
  return &instance;
}
inline void destroy(void*) {}
inline void invoke(void*, aiw_call*, const char*, size_t) {}

}  // namespace aiw_test

#define AIW_TEST_EXPORT extern "C" __attribute__((visibility("default")))
