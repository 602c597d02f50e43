// Checks JSON syntax without building a document: for text the engine must refuse when it is
// malformed but never reads (a job's input no template reads, an output nobody needs).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace aiw::engine {

// The offset of the first syntax error (trailing text is one), nullopt when the text is valid
// JSON. Same rules and offsets as parsing it into a Json document.
std::optional<size_t> json_syntax_error(std::string_view text);

}  // namespace aiw::engine
