// Deterministic LLM answers: a pure function of the request, so the same prompt and images
// always get the same words, and the answers are useful to the food pipelines downstream.
//
// - A JSON schema (Ollama `format`, Gemini `responseSchema`/`responseJsonSchema`): an instance
//   generated from it: objects with every property, arrays of 1-3 items (within minItems and
//   maxItems), enums and consts take their first value, numbers stay within minimum/maximum.
//   Property names steer the values (name/food -> a TACO food name, grams, calories, protein,
//   confidence ...), so a nutrition schema gets plausible nutrition.
// - JSON without a schema, or a prompt about food/nutrition (or JSON asked about an image):
//   {"foods":[{"name":"Arroz, tipo 1, cozido","grams":150,"calories":192.0,...}],
//    "calories":...,"protein_g":...,"carbs_g":...,"fat_g":...,"confidence":...}
//   with names and per-100 g values from the Brazilian TACO table.
// - Anything else: a deterministic prose sentence.
// The style knob then shapes it: "json" as is, "prose" (words, no JSON), "fenced" (```json
// block inside prose), to test the parsers that pull JSON out of chatty models.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aiw/json.h"

namespace aiw::sim {

struct AnswerRequest {
  std::string text;                   // system and user text, in order
  std::vector<std::string> images;    // decoded image bytes
  bool json = false;                  // JSON asked for without a schema
  const JsonValue* schema = nullptr;  // JSON Schema or Gemini's OpenAPI subset (types any case)
  std::string style = "json";         // Knobs::answer_style
};

std::string generate_answer(const AnswerRequest& request);

// The seed every choice derives from: a hash of the text and the image bytes.
uint64_t answer_seed(const AnswerRequest& request);
// True when the text asks about food, meals or nutrition (Portuguese or English words).
bool asks_about_food(std::string_view text);
// A compact JSON instance of `schema`.
std::string schema_instance(const JsonValue& schema, uint64_t seed);
// The food answer described above, compact JSON.
std::string food_json(uint64_t seed);
// A rough token count (4 bytes a token), at least 1 for non-empty text.
int count_tokens(std::string_view text);
// The content cut into stream fragments of a few words each; concatenated they are `content`.
std::vector<std::string> stream_pieces(std::string_view content, size_t words_per_piece = 1);

}  // namespace aiw::sim
