#include "food_name.h"

namespace nutrition {
namespace {

// The plain letter of each code point U+00C0..U+00FF (Latin-1 letters), ' ' for × and ÷.
constexpr std::string_view kLatin1Fold =
    "aaaaaaaceeeeiiiidnooooo ouuuuytsaaaaaaaceeeeiiiidnooooo ouuuuyty";

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string normalise_name(std::string_view name) {
  std::string out;
  bool pending_space = false;
  auto put = [&](char c) {
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += c;
  };
  for (size_t i = 0; i < name.size(); ++i) {
    auto byte = static_cast<unsigned char>(name[i]);
    if (byte == 0xC3 && i + 1 < name.size() &&
        (static_cast<unsigned char>(name[i + 1]) & 0xC0) == 0x80) {
      char folded = kLatin1Fold[static_cast<unsigned char>(name[++i]) & 0x3F];
      if (folded == ' ') {
        pending_space = true;
      } else {
        put(folded);
      }
    } else if (byte == 0xC2 && i + 1 < name.size()) {
      ++i;  // U+0080..U+00BF: symbols such as º and ª, not letters
      pending_space = true;
    } else if (byte >= 0x80) {
      put(name[i]);
    } else {
      char c = (byte >= 'A' && byte <= 'Z') ? static_cast<char>(byte - 'A' + 'a') : name[i];
      if (is_alnum(c)) {
        put(c);
      } else {
        pending_space = true;
      }
    }
  }
  return out;
}

std::string first_segment(std::string_view name) {
  return normalise_name(name.substr(0, name.find(',')));
}

}  // namespace nutrition
