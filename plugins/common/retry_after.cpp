#include "common/retry_after.h"

#include <curl/curl.h>

#include <charconv>
#include <cstdint>
#include <ctime>
#include <string>

namespace aiw::plugin_common {

std::chrono::milliseconds retry_after(std::string_view value) {
  using std::chrono::milliseconds;
  if (value.empty()) return milliseconds(-1);
  int64_t seconds = -1;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size())
    return seconds < 0 ? milliseconds(-1) : std::chrono::seconds(seconds);
  // curl_getdate reads the three date forms without depending on the locale.
  const time_t at = curl_getdate(std::string(value).c_str(), nullptr);
  if (at == -1) return milliseconds(-1);
  const time_t now = std::time(nullptr);
  return at > now ? std::chrono::seconds(at - now) : milliseconds(0);
}

}  // namespace aiw::plugin_common
