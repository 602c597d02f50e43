#include "gateway/canary.h"

#include <openssl/sha.h>

#include <cstdint>
#include <string>

namespace aiw::gateway {

int canary_bucket(std::string_view user_id, std::string_view job_type) {
  std::string input;
  input.reserve(job_type.size() + 1 + user_id.size());
  input.append(job_type).append(":").append(user_id);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  uint64_t prefix = 0;
  for (int i = 0; i < 8; ++i) prefix = prefix << 8 | digest[i];
  return static_cast<int>(prefix % 100);
}

bool in_canary(std::string_view user_id, std::string_view job_type, int percent) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return canary_bucket(user_id, job_type) < percent;
}

}  // namespace aiw::gateway
