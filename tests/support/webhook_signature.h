// What a webhook receiver computes to check webhook.notify's X-Aiw-Signature header:
// "sha256=" + hex(HMAC-SHA256(secret, "<X-Aiw-Timestamp>.<raw body>")). Written here as a
// receiver would, independently of the plugin, so the tests check the plugin against it.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <string>

namespace aiw::testing {

inline std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                                     const std::string& body) {
  const std::string message = timestamp + "." + body;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len);
  std::string hex = "sha256=";
  char byte[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

}  // namespace aiw::testing
