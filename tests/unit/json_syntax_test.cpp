// json_syntax_error: the engine's syntax check for text it must refuse when malformed but
// never reads. Its quick scan of plain JSON must agree with RapidJSON on every text, and errors
// must carry RapidJSON's offsets.
#include "engine/json_syntax.h"

#include <aiw/json.h>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace aiw::testing {
namespace {

// What parsing into a document says: nullopt when valid, else the error offset.
std::optional<size_t> document_says(std::string_view text) {
  Json doc;
  doc.Parse(text.data(), text.size());
  if (!doc.HasParseError()) return std::nullopt;
  return doc.GetErrorOffset();
}

void expect_agrees(std::string_view text) {
  EXPECT_EQ(engine::json_syntax_error(text), document_says(text))
      << "text: '" << std::string(text) << "'";
}

TEST(JsonSyntax, AgreesWithRapidJsonOnPlainAndTrickyTexts) {
  const std::vector<std::string> texts = {
      "{}", "[]", "null", "true", "false", "0", "-0", "12", "-12.5", "\"s\"", " { } ",
      R"({"a":1,"b":[1,2,{"c":null}],"d":"x y","e":true,"f":false,"g":-0.25})",
      "\t\r\n{\"a\" : [ ] }\n", R"(["a\"b\\c\/d\b\f\n\r\t"])",
      // Left to RapidJSON by the quick scan, valid or not:
      R"(["\u00e9"])", R"(["\ud83d\ude00"])", R"(["\ud83d"])", R"(["\ude00"])", R"(["\x"])",
      "1e5", "1E+5", "-1.5e-3", "1e400", "123456789012345678901234567890", "1.", ".5", "01",
      "-", "+1", "1.2.3", "0x10", "NaN", "Infinity", "1234567890123456",
      "0.123456789012345678901234", std::string("\xEF\xBB\xBF{}"), std::string("\xEF{}"),
      std::string("{}\0", 3), std::string("[\"a\0\"]", 6), "[\"a\x01\"]", "[\"\xC3\xA9\"]",
      "[\"\xFF\"]",
      // Malformed:
      "", " ", "{", "}", "[", "]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{a:1}",
      "{'a':1}", "{} {}", "{}x", "tru", "nul", "falsey", "\"abc", "[\"a\\", "{\"a\":1\"b\":2}",
      "[-]", "[1,,2]", "/*c*/{}", "{}//c",
      std::string(100, '[') + std::string(100, ']'),
      std::string(63, '[') + std::string(63, ']'),
      std::string(64, '[') + std::string(64, ']'),
      std::string(65, '[') + std::string(65, ']'),
  };
  for (const auto& text : texts) expect_agrees(text);
}

// Random texts over JSON's alphabet: mostly malformed, some valid, all compared.
TEST(JsonSyntax, AgreesWithRapidJsonOnRandomTexts) {
  const std::string alphabet = "{}[]:,\"\\ 0123456789-+.eEtrufalsn\n\xC3\xA9u";
  const std::vector<std::string> pieces = {"{}", "[]", "\"k\":", "\"v\"", ",", "1", "-0.5", "null",
                                           "true", "[", "]", "{", "}", " ", "\"\\n\""};
  std::mt19937 rng(12345);
  for (int i = 0; i < 50000; ++i) {
    std::string text;
    int length = static_cast<int>(rng() % 12);
    for (int j = 0; j < length; ++j) {
      if (rng() % 2) text += pieces[rng() % pieces.size()];
      else text += alphabet[rng() % alphabet.size()];
    }
    expect_agrees(text);
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace aiw::testing
