// JSON for plugin authors and the core alike: RapidJSON with aiw's settings.
//
// Include RapidJSON only through this header so every translation unit agrees on them:
// - std::string support is on;
// - misuse of a value (GetString() on a number, operator[] on a missing key) throws
//   std::logic_error instead of aborting, so a stage that trips over bad data fails its job
//   with a sentence rather than taking the process down.
#ifndef AIW_JSON_H_
#define AIW_JSON_H_

#include <stdexcept>
#include <string>
#include <string_view>

#ifndef RAPIDJSON_HAS_STDSTRING
#define RAPIDJSON_HAS_STDSTRING 1
#endif
#ifndef RAPIDJSON_ASSERT
#define RAPIDJSON_ASSERT(x) \
  ((x) ? (void)0 : throw std::logic_error("a JSON value was used as the wrong type (" #x ")"))
#endif

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace aiw {

using Json = rapidjson::Document;
using JsonValue = rapidjson::Value;

// Parses text into out; false (and out unchanged in meaning) when it is not valid JSON.
inline bool parse_json(std::string_view text, Json& out) {
  out.Parse(text.data(), text.size());
  return !out.HasParseError();
}

// Compact JSON text of a value.
inline std::string to_string(const JsonValue& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// A member of an object, or nullptr when value is not an object or has no such member.
inline const JsonValue* find_member(const JsonValue& value, std::string_view name) {
  if (!value.IsObject()) return nullptr;
  // A Value key compares by length; a bare StringRef would convert to const char* and be read
  // up to a NUL, past the end of a view that is not NUL-terminated.
  const JsonValue key(rapidjson::StringRef(name.data(), name.size()));
  auto it = value.FindMember(key);
  return it == value.MemberEnd() ? nullptr : &it->value;
}

}  // namespace aiw

#endif  // AIW_JSON_H_
