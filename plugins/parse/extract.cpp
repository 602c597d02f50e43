#include "extract.h"

#include <rapidjson/error/en.h>

namespace parse {
namespace {

// Models write JSON with comments and trailing commas often enough that refusing them would
// fail jobs whose meaning is clear.
constexpr unsigned kLenient = rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag;
// A '{' that never closes is retried from the next '{' at most this often, so a long answer
// full of stray braces stays linear.
constexpr int kMaxUnclosedRetries = 16;

std::string_view trim(std::string_view s) {
  const char* kSpace = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

bool parse_lenient(std::string_view text, aiw::Json& out) {
  out.Parse<kLenient>(text.data(), text.size());
  return !out.HasParseError();
}

// Index of the '}' closing the '{' at open, or npos. Braces inside strings do not count, and a
// backslash inside a string escapes the next character (so \" does not end it).
size_t matching_brace(std::string_view text, size_t open) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

// What went wrong with the candidates of one text, kept for the error sentence.
struct Trouble {
  std::string invalid;   // the first candidate that was not valid JSON, explained
  std::string unclosed;  // the first '{' that never closed, explained
};

bool scan_balanced(std::string_view text, aiw::Json& out, Trouble& trouble) {
  int unclosed_retries = 0;
  for (size_t pos = text.find('{'); pos != std::string_view::npos; pos = text.find('{', pos)) {
    size_t end = matching_brace(text, pos);
    if (end == std::string_view::npos) {
      if (trouble.unclosed.empty())
        trouble.unclosed = "the model's JSON object starting at character " +
                           std::to_string(pos + 1) +
                           " never closes (was the answer cut off by a token limit?): " +
                           preview(text.substr(pos), 80);
      if (++unclosed_retries > kMaxUnclosedRetries) return false;
      ++pos;
      continue;
    }
    std::string_view candidate = text.substr(pos, end - pos + 1);
    if (parse_lenient(candidate, out) && out.IsObject()) return true;
    if (trouble.invalid.empty() && out.HasParseError())
      trouble.invalid = std::string("the model's answer holds a {...} that is not valid JSON (") +
                        rapidjson::GetParseError_En(out.GetParseError()) + " at character " +
                        std::to_string(out.GetErrorOffset() + 1) +
                        " of it): " + preview(candidate, 80);
    pos = end + 1;
  }
  return false;
}

// The whole of text as one JSON object; a JSON value of another kind is a sentence in error.
bool whole_object(std::string_view text, aiw::Json& out, std::string& error) {
  std::string_view t = trim(text);
  if (t.empty() || !parse_lenient(t, out)) return false;
  if (out.IsObject()) return true;
  error = "the model answered " +
          std::string(out.IsArray() ? "a JSON array" : "a bare JSON value") +
          " where an object was expected: " + preview(t, 80);
  return false;
}

bool from_fences(std::string_view text, aiw::Json& out, Trouble& trouble) {
  for (size_t open = text.find("```"); open != std::string_view::npos;) {
    size_t body = text.find('\n', open + 3);  // the rest of the opening line is a language tag
    if (body == std::string_view::npos) return false;
    size_t close = text.find("```", body);
    std::string_view content = text.substr(
        body + 1, close == std::string_view::npos ? std::string_view::npos : close - body - 1);
    std::string ignored;
    if (whole_object(content, out, ignored) || scan_balanced(content, out, trouble)) return true;
    if (close == std::string_view::npos) return false;
    open = text.find("```", close + 3);
  }
  return false;
}

}  // namespace

std::string preview(std::string_view text, size_t n) {
  std::string out;
  size_t chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    bool continuation = (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
    if (!continuation && chars++ == n) break;
    out += (text[i] == '\n' || text[i] == '\r') ? ' ' : text[i];
  }
  return i < text.size() ? out + "..." : out;
}

ExtractResult extract_json_object(std::string_view text, aiw::Json& out) {
  ExtractResult result;
  std::string not_object;
  Trouble trouble;
  if (whole_object(text, out, not_object)) {
    result.ok = true;
    return result;
  }
  if (!not_object.empty()) {  // valid JSON of another kind: an object inside it is a fragment
    result.error = not_object;
    return result;
  }
  if (from_fences(text, out, trouble) || scan_balanced(text, out, trouble)) {
    result.ok = true;
    return result;
  }
  if (!trouble.invalid.empty()) {
    result.error = trouble.invalid;
  } else if (!trouble.unclosed.empty()) {
    result.error = trouble.unclosed;
  } else {
    result.error = "the model answered prose with no JSON object: " + preview(trim(text), 80);
  }
  return result;
}

}  // namespace parse
