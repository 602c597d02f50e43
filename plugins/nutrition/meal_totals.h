// The arithmetic of nutrition.totals: items of a meal looked up in a table and summed.
#pragma once

#include <aiw/json.h>

#include <string>
#include <utility>
#include <vector>

#include "food_table.h"

namespace nutrition {

struct ItemLine {
  std::string name;      // as the item gave it
  std::string matched;   // the table's name
  bool assumed = false;  // matched by the first part of matched only (Match::by_first_part)
  double grams = 0;
  Nutrients nutrients;  // for those grams
};

// A list of items and what became of each: counted (exactly, or by an assumed match),
// unknown, ambiguous or invalid.
struct Section {
  std::string name;  // the meal's name; empty for a plain list of items
  std::vector<ItemLine> items;
  Nutrients totals;
  std::vector<std::string> unknown;
  std::vector<std::pair<std::string, std::vector<std::string>>> ambiguous;  // name, candidates
  std::vector<std::pair<std::string, std::string>> invalid;                 // name, reason

  void merge(const Section& other);
};

// Looks each element of items (an array of {name or food, grams}) up in table. Items without a
// usable name or with grams missing, not a number or not above 0 go to `invalid` with the
// reason; names the table does not know go to `unknown`, those it cannot tell apart to
// `ambiguous`; neither contributes to the totals. Names matched by the first part of one
// table name count, marked assumed.
Section total_items(const FoodTable& table, const aiw::JsonValue& items);

// {"items":[{name, matched, match, grams, kcal, protein, carbohydrate, fat, fibre}],
//  "totals":{kcal, protein, carbohydrate, fat, fibre}, "unknown":[name],
//  "ambiguous":[{name, candidates}], "assumed":[{name, matched}], "invalid":[{name, reason}]}
// (+ "name" for a meal), every number rounded to 1 decimal. An item's match is "exact" (the
// whole name) or "first_word" (the part before the first comma of one table name: the food
// is sure, its preparation a guess); the latter are also listed in "assumed" so that a reply
// can say what was taken for what. Totals are summed before rounding, so they may differ by 0.1
// from the sum of the rounded items.
void write_section(const Section& section, aiw::JsonValue& out,
                   rapidjson::MemoryPoolAllocator<>& alloc);

}  // namespace nutrition
