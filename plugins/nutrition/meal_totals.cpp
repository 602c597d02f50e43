#include "meal_totals.h"

#include <cmath>

namespace nutrition {
namespace {

double round1(double x) { return std::round(x * 10.0) / 10.0; }

std::string shown(const aiw::JsonValue& value) {
  std::string text = aiw::to_string(value);
  return text.size() > 48 ? text.substr(0, 45) + "..." : text;
}

// The item's name from `name` or `food`; empty when it has neither as a non-empty string.
std::string item_name(const aiw::JsonValue& item) {
  for (const char* key : {"name", "food"})
    if (const aiw::JsonValue* v = aiw::find_member(item, key);
        v && v->IsString() && v->GetStringLength())
      return v->GetString();
  return {};
}

// Why the item's grams cannot be used, or "" with grams set.
std::string grams_problem(const aiw::JsonValue& item, double& grams) {
  const aiw::JsonValue* g = aiw::find_member(item, "grams");
  if (g == nullptr || g->IsNull()) return "grams is missing";
  if (!g->IsNumber()) return "grams is not a number: " + shown(*g);
  grams = g->GetDouble();
  if (!(grams > 0)) return "grams must be more than 0, got " + shown(*g);
  return {};
}

aiw::JsonValue text(const std::string& s, rapidjson::MemoryPoolAllocator<>& alloc) {
  return aiw::JsonValue(s, alloc);
}

void put_nutrients(const Nutrients& n, aiw::JsonValue& out,
                   rapidjson::MemoryPoolAllocator<>& alloc) {
  out.AddMember("kcal", round1(n.kcal), alloc);
  out.AddMember("protein", round1(n.protein), alloc);
  out.AddMember("carbohydrate", round1(n.carbohydrate), alloc);
  out.AddMember("fat", round1(n.fat), alloc);
  out.AddMember("fibre", round1(n.fibre), alloc);
}

}  // namespace

void Section::merge(const Section& other) {
  items.insert(items.end(), other.items.begin(), other.items.end());
  totals += other.totals;
  unknown.insert(unknown.end(), other.unknown.begin(), other.unknown.end());
  ambiguous.insert(ambiguous.end(), other.ambiguous.begin(), other.ambiguous.end());
  invalid.insert(invalid.end(), other.invalid.begin(), other.invalid.end());
}

Section total_items(const FoodTable& table, const aiw::JsonValue& items) {
  Section section;
  for (const auto& item : items.GetArray()) {
    if (!item.IsObject()) {
      section.invalid.emplace_back("", "the item is not an object {name, grams}: " + shown(item));
      continue;
    }
    std::string name = item_name(item);
    double grams = 0;
    std::string problem =
        name.empty() ? "the item has no name (give name or food)" : grams_problem(item, grams);
    if (!problem.empty()) {
      section.invalid.emplace_back(name, problem);
      continue;
    }
    Match m = table.match(name);
    if (m.kind == Match::kUnknown) {
      section.unknown.push_back(name);
    } else if (m.kind == Match::kAmbiguous) {
      section.ambiguous.emplace_back(name, m.candidates);
    } else {
      ItemLine line{name, m.food->name, m.by_first_part, grams,
                    m.food->per_100g.scaled(grams / 100.0)};
      section.totals += line.nutrients;
      section.items.push_back(std::move(line));
    }
  }
  return section;
}

void write_section(const Section& section, aiw::JsonValue& out,
                   rapidjson::MemoryPoolAllocator<>& alloc) {
  out.SetObject();
  if (!section.name.empty()) out.AddMember("name", text(section.name, alloc), alloc);
  aiw::JsonValue items(rapidjson::kArrayType);
  for (const ItemLine& line : section.items) {
    aiw::JsonValue item(rapidjson::kObjectType);
    item.AddMember("name", text(line.name, alloc), alloc);
    item.AddMember("matched", text(line.matched, alloc), alloc);
    item.AddMember("match", rapidjson::StringRef(line.assumed ? "first_word" : "exact"), alloc);
    item.AddMember("grams", round1(line.grams), alloc);
    put_nutrients(line.nutrients, item, alloc);
    items.PushBack(item, alloc);
  }
  out.AddMember("items", items, alloc);
  aiw::JsonValue totals(rapidjson::kObjectType);
  put_nutrients(section.totals, totals, alloc);
  out.AddMember("totals", totals, alloc);
  aiw::JsonValue unknown(rapidjson::kArrayType);
  for (const std::string& name : section.unknown) unknown.PushBack(text(name, alloc), alloc);
  out.AddMember("unknown", unknown, alloc);
  aiw::JsonValue ambiguous(rapidjson::kArrayType);
  for (const auto& [name, candidates] : section.ambiguous) {
    aiw::JsonValue entry(rapidjson::kObjectType);
    entry.AddMember("name", text(name, alloc), alloc);
    aiw::JsonValue list(rapidjson::kArrayType);
    for (const std::string& c : candidates) list.PushBack(text(c, alloc), alloc);
    entry.AddMember("candidates", list, alloc);
    ambiguous.PushBack(entry, alloc);
  }
  out.AddMember("ambiguous", ambiguous, alloc);
  aiw::JsonValue assumed(rapidjson::kArrayType);
  for (const ItemLine& line : section.items) {
    if (!line.assumed) continue;
    aiw::JsonValue entry(rapidjson::kObjectType);
    entry.AddMember("name", text(line.name, alloc), alloc);
    entry.AddMember("matched", text(line.matched, alloc), alloc);
    assumed.PushBack(entry, alloc);
  }
  out.AddMember("assumed", assumed, alloc);
  aiw::JsonValue invalid(rapidjson::kArrayType);
  for (const auto& [name, reason] : section.invalid) {
    aiw::JsonValue entry(rapidjson::kObjectType);
    entry.AddMember("name", name.empty() ? aiw::JsonValue() : text(name, alloc), alloc);
    entry.AddMember("reason", text(reason, alloc), alloc);
    invalid.PushBack(entry, alloc);
  }
  out.AddMember("invalid", invalid, alloc);
}

}  // namespace nutrition
