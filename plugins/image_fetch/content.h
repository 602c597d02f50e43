// What image.fetch does with a body: recognise it by its first bytes (never by the server's
// Content-Type, which is often wrong or chosen by whoever controls the URL), and encode it.
#pragma once

#include <string>
#include <string_view>

namespace image_fetch {

enum class Kind { kUnknown, kJpeg, kPng, kWebp, kPdf };

Kind sniff(std::string_view body);
const char* mime_type(Kind kind);    // "image/jpeg", ...
const char* short_name(Kind kind);   // "jpeg", ... as in the `accept` parameter

std::string base64(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);

}  // namespace image_fetch
