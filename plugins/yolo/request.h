// Building the request protocols.md 3.1 standardises: multipart/form-data with the image
// bytes as `file` and the HUB option names as form fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yolo {

// Standard base64 (padding optional, whitespace ignored); nullopt when it is not base64.
std::optional<std::string> decode_base64(std::string_view text);

// "image/jpeg" or "image/png" from the first bytes, else "application/octet-stream".
std::string sniff_mime(std::string_view bytes);

struct Multipart {
  std::string content_type;  // "multipart/form-data; boundary=..."
  std::string body;
};

// fields go first, then the file part named "file".
Multipart multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                    std::string_view file, std::string_view file_mime);

}  // namespace yolo
