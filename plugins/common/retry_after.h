// Retry-After (RFC 9110 section 10.2.3), as every in-tree plugin that talks HTTP reads it.
#pragma once

#include <chrono>
#include <string_view>

namespace aiw::plugin_common {

// The wait a Retry-After header asks for: delta-seconds ("120") or an HTTP date (IMF-fixdate
// "Wed, 21 Oct 2026 07:28:00 GMT", or the obsolete RFC 850 and asctime forms recipients must
// still accept). 0 for a date already past (retry now); -1 ms when absent or unreadable, which
// fail_retryable() and the queue read as "use your own backoff".
std::chrono::milliseconds retry_after(std::string_view value);

}  // namespace aiw::plugin_common
