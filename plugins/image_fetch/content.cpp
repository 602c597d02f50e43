#include "content.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace image_fetch {

Kind sniff(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return Kind::kJpeg;
  if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1A\n") return Kind::kPng;
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return Kind::kWebp;
  if (b.size() >= 5 && b.substr(0, 5) == "%PDF-") return Kind::kPdf;
  return Kind::kUnknown;
}

const char* mime_type(Kind kind) {
  switch (kind) {
    case Kind::kJpeg: return "image/jpeg";
    case Kind::kPng: return "image/png";
    case Kind::kWebp: return "image/webp";
    case Kind::kPdf: return "application/pdf";
    case Kind::kUnknown: break;
  }
  return "application/octet-stream";
}

const char* short_name(Kind kind) {
  switch (kind) {
    case Kind::kJpeg: return "jpeg";
    case Kind::kPng: return "png";
    case Kind::kWebp: return "webp";
    case Kind::kPdf: return "pdf";
    case Kind::kUnknown: break;
  }
  return "unknown";
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace image_fetch
