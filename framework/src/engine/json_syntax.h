// Checks JSON syntax without building a document: for text the engine must refuse when it is
// malformed but never reads (a job's input no template reads, an output nobody needs).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace aiw::engine {

// json_syntax_error without its fast path.
std::optional<size_t> scan_json_syntax(std::string_view text);

// The offset of the first syntax error (trailing text is one), nullopt when the text is valid
// JSON. Same rules and offsets as parsing it into a Json document.
inline std::optional<size_t> json_syntax_error(std::string_view text) {
  // The empty object: the default input and what a stage with nothing to say writes, checked
  // twice or more per job. Inline, so that the answer stays in registers: returned from a
  // call, GCC stores the optional's flag byte and reloads it whole, a store-forwarding stall
  // that `perf` showed to cost more than the comparison.
  if (text.size() == 2 && text[0] == '{' && text[1] == '}') return std::nullopt;
  return scan_json_syntax(text);
}

}  // namespace aiw::engine
