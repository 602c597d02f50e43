// PostgreSQL array literals for statement parameters: libpqxx 6 has no array parameters, and
// one text parameter per batch keeps statements prepared and round trips single.
#pragma once

#include <span>
#include <string>

namespace aiw::queue {

// {"a","b\"c"}: every element double-quoted with " and \ escaped, so any text is safe.
inline std::string text_array(std::span<const std::string> items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace aiw::queue
