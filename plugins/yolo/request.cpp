#include "request.h"

#include <array>

namespace yolo {

std::optional<std::string> decode_base64(std::string_view text) {
  static const std::array<int8_t, 256> table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int count = 0;
  bool padding = false;
  for (char ch : text) {
    if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
    if (ch == '=') {
      padding = true;
      continue;
    }
    int8_t v = table[static_cast<unsigned char>(ch)];
    if (v < 0 || padding) return std::nullopt;  // a foreign character, or data after '='
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if (++count == 4) {
      out += static_cast<char>(bits >> 16);
      out += static_cast<char>(bits >> 8);
      out += static_cast<char>(bits);
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) return std::nullopt;
  if (count == 2) out += static_cast<char>(bits >> 4);
  if (count == 3) {
    out += static_cast<char>(bits >> 10);
    out += static_cast<char>(bits >> 2);
  }
  return out;
}

std::string sniff_mime(std::string_view b) {
  if (b.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (b.substr(0, 8) == "\x89PNG\r\n\x1A\n") return "image/png";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return "application/octet-stream";
}

Multipart multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                    std::string_view file, std::string_view file_mime) {
  // The boundary must not occur in the content; grow it until it does not (practically never).
  std::string boundary = "aiw-yolo-7f3c9b1e5d2a48c6";
  while (file.find(boundary) != std::string_view::npos) boundary += "x";
  Multipart m;
  m.content_type = "multipart/form-data; boundary=" + boundary;
  for (const auto& [name, value] : fields) {
    m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
              "\"\r\n\r\n" + value + "\r\n";
  }
  m.body += "--" + boundary +
            "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"image\"\r\n"
            "Content-Type: " + std::string(file_mime) + "\r\n\r\n";
  m.body.append(file);
  m.body += "\r\n--" + boundary + "--\r\n";
  return m;
}

}  // namespace yolo
