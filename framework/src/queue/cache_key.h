// Cache keys for analysis_cache: SHA-256 (hex) of the job type, the pipeline version and the
// canonical input, so identical inputs share a result whatever their key order or spacing, a
// new pipeline version never serves an old answer, and the key reveals nothing of the input.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace aiw::queue {

// The input as canonical JSON: object keys sorted (by bytes), no insignificant whitespace,
// numbers as RapidJSON writes them. Fails on text that is not JSON.
Result<std::string> canonical_json(std::string_view json);

Result<std::string> cache_key(std::string_view type, std::string_view pipeline_version,
                              std::string_view input_json);

}  // namespace aiw::queue
