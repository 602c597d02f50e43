// Helpers both providers use (provider.h): reading the stage's provider entries, and the
// images and answers they share.
#include "provider.h"

namespace llm {

std::string string_or(const aiw::JsonValue& object, const char* name, const std::string& fallback) {
  const aiw::JsonValue* v = aiw::find_member(object, name);
  return v && v->IsString() && v->GetStringLength() > 0 ? v->GetString() : fallback;
}

std::string base_url(const aiw::JsonValue& provider, const std::string& fallback) {
  std::string url = string_or(provider, "url", fallback);
  while (!url.empty() && url.back() == '/') url.pop_back();  // "host/" + "/api/chat"
  return url;
}

std::string mime_of_base64(std::string_view b) {
  if (b.starts_with("iVBOR")) return "image/png";
  if (b.starts_with("UklGR")) return "image/webp";
  if (b.starts_with("JVBER")) return "application/pdf";
  if (b.starts_with("R0lGOD")) return "image/gif";
  return "image/jpeg";  // "/9j/", and the safest guess for a photo
}

bool blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string_view without_data_url_prefix(std::string_view image) {
  // "data:image/png;base64,iVBOR...": what a browser's FileReader gives. Ollama wants raw base64
  // (protocols.md 1.2) and Gemini's inlineData.data is bytes, so the prefix would be sent as data.
  if (!image.starts_with("data:")) return image;
  size_t comma = image.find(',');
  if (comma == std::string_view::npos ||
      image.substr(0, comma).find(";base64") == std::string_view::npos)
    return image;
  return image.substr(comma + 1);
}

}  // namespace llm
