#include "engine/json_syntax.h"

#include <aiw/json.h>

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace aiw::engine {
namespace {

// A quick scan that recognises the plain JSON most stages write: objects, arrays, strings
// without control characters or \u escapes, integers and decimals of modest length, literals.
// It only ever answers "valid" for text RapidJSON accepts too; anything else (errors
// included, and whatever it does not cover: exponents, \u escapes, deep nesting) it leaves to
// RapidJSON, which then decides and says where. A SAX pass of RapidJSON costs ~130 instructions
// even for "{}", six times a job in a five-stage pipeline.
class PlainJsonScan {
 public:
  explicit PlainJsonScan(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  bool valid() {
    skip_bom();
    skip_space();
    if (!value()) return false;
    skip_space();
    return p_ == end_;
  }

 private:
  // RapidJSON skips a UTF-8 byte order mark at the start (EncodedInputStream).
  void skip_bom() {
    if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF &&
        static_cast<unsigned char>(p_[1]) == 0xBB && static_cast<unsigned char>(p_[2]) == 0xBF)
      p_ += 3;
  }
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }
  bool digit() const { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; }

  bool value() {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return object();
      case '[': return array();
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool object() {
    if (++depth_ > kMaxDepth) return false;
    ++p_;
    skip_space();
    if (take('}')) return --depth_, true;
    for (;;) {
      if (p_ == end_ || *p_ != '"' || !string()) return false;
      skip_space();
      if (!take(':')) return false;
      skip_space();
      if (!value()) return false;
      skip_space();
      if (take('}')) return --depth_, true;
      if (!take(',')) return false;
      skip_space();
    }
  }

  bool array() {
    if (++depth_ > kMaxDepth) return false;
    ++p_;
    skip_space();
    if (take(']')) return --depth_, true;
    for (;;) {
      if (!value()) return false;
      skip_space();
      if (take(']')) return --depth_, true;
      if (!take(',')) return false;
      skip_space();
    }
  }

  // Plain characters and the two-character escapes; a \u escape (surrogate rules) or a byte
  // below 0x20 (an error) is left to RapidJSON.
  bool string() {
    ++p_;
    while (p_ != end_) {
      auto c = static_cast<unsigned char>(*p_++);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (p_ == end_) return false;
      switch (*p_++) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': break;
        default: return false;
      }
    }
    return false;
  }

  // -?(0|[1-9][0-9]{0,14})(\.[0-9]{1,17})? : always representable, so RapidJSON accepts it;
  // exponents and longer numbers (RapidJSON refuses some as too big) are left to it.
  bool number() {
    take('-');
    if (take('0')) {
      if (digit()) return false;
    } else {
      int digits = 0;
      if (!digit() || *p_ == '0') return false;
      while (digit()) {
        if (++digits > 15) return false;
        ++p_;
      }
    }
    if (take('.')) {
      int digits = 0;
      if (!digit()) return false;
      while (digit()) {
        if (++digits > 17) return false;
        ++p_;
      }
    }
    return p_ == end_ || (*p_ != 'e' && *p_ != 'E');
  }

  static constexpr int kMaxDepth = 64;
  const char* p_;
  const char* end_;
  int depth_ = 0;
};

}  // namespace

std::optional<size_t> scan_json_syntax(std::string_view text) {
  if (PlainJsonScan(text).valid()) return std::nullopt;
  rapidjson::Reader reader;
  rapidjson::MemoryStream memory(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(memory);
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::ParseResult result = reader.Parse(stream, ignore);
  if (!result.IsError()) return std::nullopt;
  return result.Offset();
}

}  // namespace aiw::engine
