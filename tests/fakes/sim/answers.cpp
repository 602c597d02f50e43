#include "fakes/sim/answers.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "fakes/sim/sim_internal.h"

namespace aiw::sim {
namespace {

// A few foods of the Brazilian TACO table (4th ed.), per 100 g, with a typical portion.
struct Food {
  const char* name;
  double kcal, protein_g, carbs_g, fat_g;
  int portion_g;
};
constexpr std::array<Food, 10> kFoods = {{
    {"Arroz, tipo 1, cozido", 128, 2.5, 28.1, 0.2, 150},
    {"Feijão, carioca, cozido", 76, 4.8, 13.6, 0.5, 100},
    {"Frango, peito, sem pele, grelhado", 159, 32.0, 0.0, 2.5, 120},
    {"Banana, prata, crua", 98, 1.3, 26.0, 0.1, 90},
    {"Ovo, de galinha, inteiro, cozido/10minutos", 146, 13.3, 0.6, 9.5, 50},
    {"Pão, trigo, francês", 300, 8.0, 58.6, 3.1, 50},
    {"Alface, crespa, crua", 11, 1.3, 1.7, 0.2, 30},
    {"Tomate, com semente, cru", 15, 1.1, 3.1, 0.2, 60},
    {"Carne, bovina, patinho, sem gordura, grelhado", 219, 35.9, 0.0, 7.3, 100},
    {"Batata, inglesa, cozida", 52, 1.2, 11.9, 0.0, 130},
}};

constexpr std::array<const char*, 16> kWords = {
    "the",    "answer", "is",    "simulated", "and",     "stable", "for",    "this",
    "prompt", "so",     "tests", "can",       "compare", "it",     "across", "runs"};

// splitmix64: every choice is a draw from this, seeded by the request.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
};

double round1(double v) { return std::round(v * 10) / 10; }

struct Portion {
  const Food* food;
  int grams;
};

// 2-4 different foods with portions varied around the typical one, in steps of 10 g.
std::vector<Portion> pick_meal(uint64_t seed) {
  Rng rng{seed};
  std::array<int, kFoods.size()> order{};
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  for (size_t i = order.size() - 1; i > 0; --i) {
    std::swap(order[i], order[static_cast<size_t>(rng.below(static_cast<int>(i) + 1))]);
  }
  std::vector<Portion> meal;
  int count = 2 + rng.below(3);
  for (int i = 0; i < count; ++i) {
    const Food& food = kFoods[static_cast<size_t>(order[static_cast<size_t>(i)])];
    int grams = std::max(10, (food.portion_g * (70 + rng.below(61)) / 100) / 10 * 10);
    meal.push_back({&food, grams});
  }
  return meal;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains_any(std::string_view haystack, std::initializer_list<const char*> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](const char* n) { return haystack.find(n) != std::string_view::npos; });
}

std::string prose_sentence(uint64_t seed) {
  Rng rng{seed};
  std::string text = "This is a simulated reply.";
  for (int i = 0, n = 8 + rng.below(8); i < n; ++i) {
    text += ' ';
    text += kWords[static_cast<size_t>(rng.below(kWords.size()))];
  }
  char id[32];
  std::snprintf(id, sizeof id, " (ref %06llx).", static_cast<unsigned long long>(seed & 0xFFFFFF));
  return text + id;
}

std::string food_prose(uint64_t seed) {
  std::string text = "The meal looks like ";
  double kcal = 0;
  auto meal = pick_meal(seed);
  for (size_t i = 0; i < meal.size(); ++i) {
    if (i > 0) text += i + 1 == meal.size() ? " and " : ", ";
    text += "about " + std::to_string(meal[i].grams) + " g of " + meal[i].food->name;
    kcal += meal[i].food->kcal * meal[i].grams / 100;
  }
  return text + ", roughly " + std::to_string(static_cast<int>(std::round(kcal))) +
         " kcal in total. These are estimates from a photo.";
}

}  // namespace

int count_tokens(std::string_view text) {
  return text.empty() ? 0 : static_cast<int>((text.size() + 3) / 4);
}

uint64_t answer_seed(const AnswerRequest& request) {
  uint64_t seed = fnv1a(request.text);
  for (const auto& image : request.images) seed = fnv1a(image, seed ^ 0x5bd1e995);
  return seed;
}

bool asks_about_food(std::string_view text) {
  std::string t = lower(text);
  return contains_any(
      t, {"food", "comida", "aliment", "nutri", "calori", "kcal", "meal", "refei", "prato", "dish",
          "ingredient", "macro", "proteín", "protein", "dieta", "diet"});
}

std::string food_json(uint64_t seed) {
  auto meal = pick_meal(seed);
  double kcal = 0, protein = 0, carbs = 0, fat = 0;
  return write_json([&](JsonWriter& w) {
    w.StartObject();
    w.Key("foods");
    w.StartArray();
    for (const auto& [food, grams] : meal) {
      double f = grams / 100.0;
      kcal += food->kcal * f, protein += food->protein_g * f;
      carbs += food->carbs_g * f, fat += food->fat_g * f;
      w.StartObject();
      w.Key("name"), w.String(food->name);
      w.Key("grams"), w.Int(grams);
      w.Key("calories"), w.Double(round1(food->kcal * f));
      w.Key("protein_g"), w.Double(round1(food->protein_g * f));
      w.Key("carbs_g"), w.Double(round1(food->carbs_g * f));
      w.Key("fat_g"), w.Double(round1(food->fat_g * f));
      w.EndObject();
    }
    w.EndArray();
    w.Key("calories"), w.Double(round1(kcal));
    w.Key("protein_g"), w.Double(round1(protein));
    w.Key("carbs_g"), w.Double(round1(carbs));
    w.Key("fat_g"), w.Double(round1(fat));
    w.Key("confidence"), w.Double(0.6 + static_cast<double>(seed % 39) / 100);
    w.EndObject();
  });
}

std::string generate_answer(const AnswerRequest& request) {
  const uint64_t seed = answer_seed(request);
  const bool food = asks_about_food(request.text) || (request.json && !request.images.empty());
  std::string json;
  if (request.schema != nullptr) {
    json = schema_instance(*request.schema, seed);
  } else if (food) {
    json = food_json(seed);
  } else if (request.json) {
    json = write_json([&](JsonWriter& w) {
      w.StartObject();
      w.Key("answer"), w.String(prose_sentence(seed));
      w.EndObject();
    });
  }
  if (json.empty()) return prose_sentence(seed);
  if (request.style == "prose") return food ? food_prose(seed) : prose_sentence(seed);
  if (request.style == "fenced") {
    return "Sure! Here is the result:\n\n```json\n" + json +
           "\n```\n\nLet me know if you need anything else.";
  }
  return json;
}

std::vector<std::string> stream_pieces(std::string_view content, size_t words_per_piece) {
  std::vector<std::string> pieces;
  std::string piece;
  size_t words = 0;
  for (size_t i = 0; i < content.size(); ++i) {
    const bool space = content[i] == ' ' || content[i] == '\n';
    // A piece ends before the whitespace that starts the next word, as tokens do.
    if (space && i > 0 && content[i - 1] != ' ' && content[i - 1] != '\n' &&
        ++words == std::max<size_t>(words_per_piece, 1)) {
      pieces.push_back(std::move(piece));
      piece.clear();
      words = 0;
    }
    piece += content[i];
  }
  if (!piece.empty()) pieces.push_back(std::move(piece));
  return pieces;
}

// --- schema instances ---

namespace {

struct SchemaContext {
  const JsonValue& root;
  Rng rng;
  std::vector<Portion> meal;
  size_t food = 0;  // which food of the meal the current array item describes
  int array_depth = 0;
  size_t listed = 0;  // foods the last array listed: totals outside arrays add them up
};

const JsonValue* resolve(const JsonValue& schema, const JsonValue& root) {
  const JsonValue* ref = find_member(schema, "$ref");
  if (ref == nullptr || !ref->IsString()) return &schema;
  std::string_view path = ref->GetString();
  for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
    if (!path.starts_with(prefix)) continue;
    std::string_view section(prefix + 2, std::string_view(prefix).size() - 3);
    const JsonValue* defs = find_member(root, section);
    const JsonValue* target =
        defs ? find_member(*defs, path.substr(std::string_view(prefix).size())) : nullptr;
    if (target) return target;
  }
  return &schema;
}

std::string type_of(const JsonValue& schema) {
  if (const JsonValue* type = find_member(schema, "type")) {
    if (type->IsString()) return lower(type->GetString());
    if (type->IsArray()) {
      for (const auto& t : type->GetArray()) {
        if (t.IsString() && lower(t.GetString()) != "null") return lower(t.GetString());
      }
    }
  }
  if (find_member(schema, "properties")) return "object";
  if (find_member(schema, "items")) return "array";
  return "string";
}

double clamp_to(const JsonValue& schema, double v, bool integer) {
  const double step = integer ? 1 : 0.1;
  if (auto* m = find_member(schema, "minimum"); m && m->IsNumber()) v = std::max(v, m->GetDouble());
  if (auto* m = find_member(schema, "exclusiveMinimum"); m && m->IsNumber())
    v = std::max(v, m->GetDouble() + step);
  if (auto* m = find_member(schema, "maximum"); m && m->IsNumber()) v = std::min(v, m->GetDouble());
  if (auto* m = find_member(schema, "exclusiveMaximum"); m && m->IsNumber())
    v = std::min(v, m->GetDouble() - step);
  return integer ? std::floor(v) : v;
}

// A number for a property, steered by its name towards the current food's nutrition.
double number_for(std::string_view key, SchemaContext& ctx, bool integer) {
  // Inside an array item: that food's values; outside, after a list: the list's totals.
  const size_t first = ctx.array_depth == 0 && ctx.listed > 0 ? 0 : ctx.food % ctx.meal.size();
  const size_t last = ctx.array_depth == 0 && ctx.listed > 0 ? ctx.listed : first + 1;
  auto sum = [&](double Food::*per100) {
    double total = 0;
    for (size_t i = first; i < last; ++i) {
      total +=
          ctx.meal[i % ctx.meal.size()].food->*per100 * ctx.meal[i % ctx.meal.size()].grams / 100;
    }
    return round1(total);
  };
  std::string k = lower(key);
  if (contains_any(k, {"gram", "peso", "weight", "portion", "porc", "quant", "amount"})) {
    double grams = 0;
    for (size_t i = first; i < last; ++i) grams += ctx.meal[i % ctx.meal.size()].grams;
    return grams;
  }
  if (contains_any(k, {"calor", "kcal", "energ"})) return sum(&Food::kcal);
  if (contains_any(k, {"protein", "prote"})) return sum(&Food::protein_g);
  if (contains_any(k, {"carb"})) return sum(&Food::carbs_g);
  if (contains_any(k, {"fat", "gord", "lip"})) return sum(&Food::fat_g);
  if (contains_any(k, {"confid", "score", "prob"}))
    return integer ? 1 : 0.6 + ctx.rng.below(39) / 100.0;
  if (contains_any(k, {"count", "num", "total"})) return static_cast<double>(ctx.meal.size());
  // An exam's reference range (medical_exam) holds every value the line below draws, so the
  // answer's flag ("normal", an enum's first value) agrees with its range.
  if (k.starts_with("reference_min")) return integer ? 0 : 0.5;
  if (k.starts_with("reference_max")) return 150;
  return integer ? 1 + ctx.rng.below(100) : round1(1 + ctx.rng.below(1000) / 10.0);
}

std::string string_for(std::string_view key, const JsonValue& schema, SchemaContext& ctx) {
  std::string format = find_member(schema, "format") && find_member(schema, "format")->IsString()
                           ? find_member(schema, "format")->GetString()
                           : "";
  if (format == "date-time") return "2024-01-01T12:00:00Z";
  if (format == "date") return "2024-01-01";
  if (format == "uri" || format == "url") return "https://example.com/sim";
  std::string k = lower(key);
  if (contains_any(k, {"name", "food", "aliment", "item", "label", "dish", "prato"}))
    return ctx.meal[ctx.food % ctx.meal.size()].food->name;
  if (contains_any(k, {"unit", "unidade"})) return "g";
  if (k.starts_with("reference")) return "0.5 - 150";  // medical_exam's range as printed
  char text[48];
  std::snprintf(text, sizeof text, "%s %04x", key.empty() ? "value" : std::string(key).c_str(),
                ctx.rng.below(0x10000));
  return text;
}

void write_instance(const JsonValue& raw, std::string_view key, SchemaContext& ctx, JsonWriter& w) {
  const JsonValue& schema = *resolve(raw, ctx.root);
  if (auto* c = find_member(schema, "const")) return void(c->Accept(w));
  if (auto* e = find_member(schema, "enum"); e && e->IsArray() && !e->Empty()) {
    return void((*e)[0].Accept(w));
  }
  for (const char* alt : {"anyOf", "oneOf", "allOf"}) {
    if (auto* a = find_member(schema, alt); a && a->IsArray() && !a->Empty()) {
      return write_instance((*a)[0], key, ctx, w);
    }
  }
  const std::string type = type_of(schema);
  if (type == "object") {
    w.StartObject();
    if (auto* props = find_member(schema, "properties"); props && props->IsObject()) {
      for (const auto& prop : props->GetObject()) {
        w.Key(prop.name.GetString(), prop.name.GetStringLength());
        write_instance(prop.value, prop.name.GetString(), ctx, w);
      }
    }
    w.EndObject();
  } else if (type == "array") {
    int count = std::min<int>(1 + ctx.rng.below(3), static_cast<int>(ctx.meal.size()));
    if (auto* m = find_member(schema, "minItems"); m && m->IsInt())
      count = std::max(count, m->GetInt());
    if (auto* m = find_member(schema, "maxItems"); m && m->IsInt())
      count = std::min(count, m->GetInt());
    const JsonValue* items = find_member(schema, "items");
    const size_t outer_food = ctx.food;
    ++ctx.array_depth;
    w.StartArray();
    for (int i = 0; i < count; ++i) {
      ctx.food = static_cast<size_t>(i);
      if (items && items->IsObject()) {
        write_instance(*items, key, ctx, w);
      } else {
        w.String(string_for(key, JsonValue(), ctx));
      }
    }
    w.EndArray();
    ctx.food = outer_food;
    if (--ctx.array_depth == 0) ctx.listed = static_cast<size_t>(count);
  } else if (type == "integer") {
    w.Int64(static_cast<int64_t>(clamp_to(schema, number_for(key, ctx, true), true)));
  } else if (type == "number") {
    w.Double(clamp_to(schema, number_for(key, ctx, false), false));
  } else if (type == "boolean") {
    w.Bool(true);
  } else if (type == "null") {
    w.Null();
  } else {
    w.String(string_for(key, schema, ctx));
  }
}

}  // namespace

std::string schema_instance(const JsonValue& schema, uint64_t seed) {
  SchemaContext ctx{schema, Rng{seed}, pick_meal(seed)};
  return write_json([&](JsonWriter& w) { write_instance(schema, "", ctx, w); });
}

}  // namespace aiw::sim
