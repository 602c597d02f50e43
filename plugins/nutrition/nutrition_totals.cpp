#include <aiw/plugin.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "food_table.h"
#include "meal_totals.h"

namespace nutrition {
namespace {

std::string shown(const aiw::JsonValue* value) {
  if (value == nullptr) return "missing";
  std::string text = aiw::to_string(*value);
  return text.size() > 48 ? text.substr(0, 45) + "..." : text;
}

bool is_reference(const aiw::JsonValue& value) {
  return value.IsString() && std::string_view(value.GetString()).find("${") != std::string::npos;
}

std::string meal_name(const aiw::JsonValue& meal, size_t index) {
  for (const char* key : {"name", "meal"})
    if (const aiw::JsonValue* v = aiw::find_member(meal, key);
        v && v->IsString() && v->GetStringLength())
      return v->GetString();
  return "meal " + std::to_string(index + 1);
}

}  // namespace

// nutrition.totals: calories and macronutrients of a meal, or of each meal of a plan, from a
// food-composition table shipped with the pipeline (pipelines/data/taco.csv: the Brazilian TACO
// table, per 100 g; format in food_table.h).
// Parameters:
//   table  string, required   the CSV. Absolute, or relative to $AIW_PIPELINE_DIR when set, else
//                             to the working folder: the engine hands a stage only its `with`
//                             block, not the pipeline file's location. Loaded once per process
//                             and path; when constant, at pipeline start (a missing or malformed
//                             file, with its line, refuses the pipeline), else by the first job
//                             (then a permanent job error).
//   items  array, one of      [{name (or food), grams}], e.g. ${stages.parse.output.foods}
//   meals  array, one of      a plan: [{name (or meal), items: [{name, grams}]}]
// Matching ignores case, accents, spacing and punctuation; a name may also be the part before
// the first comma of exactly one table name ("brócolis" -> "Brócolis, cozido"): counted, but
// the preparation is assumed, so the item says match "first_word" (else "exact") and is listed
// in `assumed`. Unknown and ambiguous names are reported, never guessed, and count for nothing;
// so do items without a name or with grams missing or not above 0.
// Output (numbers rounded to 1 decimal): {items: [{name, matched, match, grams, kcal, protein,
// carbohydrate, fat, fibre}], totals: {kcal, protein, carbohydrate, fat, fibre},
// unknown: [name], ambiguous: [{name, candidates}], assumed: [{name, matched}],
// invalid: [{name, reason}]}; with `meals`, also meals: [{name, items, totals, unknown,
// ambiguous, assumed, invalid}], the top level summing all.
//
//   - id: nutrition
//     uses: nutrition.totals
//     needs: [parse]
//     with:
//       table: data/taco.csv
//       items: "${stages.parse.output.foods}"
class NutritionTotals : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "nutrition.totals", "1.0.0",
      "Sums calories and macronutrients of meal items from a food-composition table (CSV).",
      R"({"type":"object","properties":{"table":{"type":"string","minLength":1},)"
      R"("items":{"type":"array","items":{"type":"object"}},)"
      R"("meals":{"type":"array","items":{"type":"object","properties":{)"
      R"("name":{"type":"string"},"meal":{"type":"string"},"items":{"type":"array"}}}}},)"
      R"("required":["table"],"oneOf":[{"required":["items"]},{"required":["meals"]}],)"
      R"("additionalProperties":false})",
      R"({"type":"object",)"
      R"("required":["items","totals","unknown","ambiguous","assumed","invalid"]})"};

  explicit NutritionTotals(const aiw::Json& config) {
    const aiw::JsonValue* table = aiw::find_member(config, "table");
    if (table == nullptr || !table->IsString() || is_reference(*table)) return;
    std::string error;
    table_ = cached_table(resolve_table_path(table->GetString()), error);
    if (!table_) throw std::runtime_error(error);
  }

  void run(aiw::Call call, const aiw::Json& params) override {
    std::shared_ptr<const FoodTable> table = table_;
    if (!table) {
      const aiw::JsonValue* path = aiw::find_member(params, "table");
      if (path == nullptr || !path->IsString() || path->GetStringLength() == 0) {
        call.fail_permanent("parameter table resolved to " + shown(path) + ", not a file path");
        return;
      }
      std::string error;
      table = cached_table(resolve_table_path(path->GetString()), error);
      if (!table) {
        call.fail_permanent(error);
        return;
      }
    }
    aiw::Json out;
    if (const aiw::JsonValue* meals = aiw::find_member(params, "meals")) {
      if (!meals->IsArray()) {
        call.fail_permanent("parameter meals resolved to " + shown(meals) +
                            ", not an array of {name, items}: check the reference that feeds it");
        return;
      }
      plan(*table, *meals, out);
    } else {
      const aiw::JsonValue* items = aiw::find_member(params, "items");
      if (items == nullptr || !items->IsArray()) {
        call.fail_permanent("parameter items resolved to " + shown(items) +
                            ", not an array of {name, grams}: check the reference that feeds it");
        return;
      }
      write_section(total_items(*table, *items), out, out.GetAllocator());
    }
    call.complete(out);
  }

 private:
  static void plan(const FoodTable& table, const aiw::JsonValue& meals, aiw::Json& out) {
    Section all;
    aiw::JsonValue list(rapidjson::kArrayType);
    for (rapidjson::SizeType i = 0; i < meals.Size(); ++i) {
      const aiw::JsonValue& meal = meals[i];
      const aiw::JsonValue* items = aiw::find_member(meal, "items");
      if (items == nullptr || !items->IsArray()) {
        all.invalid.emplace_back(
            meal.IsObject() ? meal_name(meal, i) : "meal " + std::to_string(i + 1),
            "the meal has no items array");
        continue;
      }
      Section section = total_items(table, *items);
      section.name = meal_name(meal, i);
      aiw::JsonValue written;
      write_section(section, written, out.GetAllocator());
      list.PushBack(written, out.GetAllocator());
      all.merge(section);
    }
    write_section(all, out, out.GetAllocator());
    out.AddMember("meals", list, out.GetAllocator());
  }

  std::shared_ptr<const FoodTable> table_;  // null when the path changes per job
};
AIW_REGISTER_STAGE(NutritionTotals);

}  // namespace nutrition
