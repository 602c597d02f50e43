// A food-composition table (per 100 g), loaded from CSV, and how a food name is looked up.
//
// The CSV has a header row naming at least the columns food, kcal, protein, carbohydrate, fat
// and fibre, in any order (other columns are ignored), then one food per row. Values use '.'
// or a decimal comma ("1,6" quoted); "NA" (not applicable), "Tr" (trace), "*" (not analysed)
// and an empty field count as 0, as the TACO table writes them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nutrition {

// Per 100 g, the TACO columns this stage reports.
struct Nutrients {
  double kcal = 0, protein = 0, carbohydrate = 0, fat = 0, fibre = 0;

  Nutrients scaled(double factor) const {
    return {kcal * factor, protein * factor, carbohydrate * factor, fat * factor, fibre * factor};
  }
  Nutrients& operator+=(const Nutrients& o) {
    kcal += o.kcal, protein += o.protein, carbohydrate += o.carbohydrate, fat += o.fat,
        fibre += o.fibre;
    return *this;
  }
};

struct Food {
  std::string name;  // as written in the table
  Nutrients per_100g;
};

// The outcome of looking a name up. Unknown and ambiguous names are reported, never guessed.
struct Match {
  enum Kind { kFound, kAmbiguous, kUnknown } kind = kUnknown;
  const Food* food = nullptr;           // kFound
  std::vector<std::string> candidates;  // kAmbiguous: the table names it could be (at most 5)
  // kFound by the part before the first comma only ("Brócolis" -> "Brócolis, cozido"): the
  // table's one food of that kind, but its preparation is assumed, so callers report it.
  bool by_first_part = false;
};

class FoodTable {
 public:
  // Reads and checks the CSV at path; null with a sentence naming path:line on failure.
  static std::shared_ptr<const FoodTable> load(const std::string& path, std::string& error);
  // From CSV text; origin names it in errors.
  static std::shared_ptr<const FoodTable> parse(std::string_view text, const std::string& origin,
                                                std::string& error);

  // Matching, in order: the whole name (case, accents, spacing and punctuation ignored: see
  // normalise_name); then the name equal to the part before the first comma of exactly one
  // table name ("Tomate" -> "Tomate, com semente, cru"), ambiguous when several share it
  // ("Banana" -> prata, nanica, ...). Nothing looser: a wrong match would be a wrong total.
  Match match(std::string_view name) const;

  size_t size() const { return foods_.size(); }

 private:
  std::vector<Food> foods_;
  std::map<std::string, size_t> by_name_;                  // normalised name -> food
  std::map<std::string, std::vector<size_t>> by_segment_;  // first segment -> foods
};

// Where a `table` parameter points: absolute paths as they are; relative ones under
// $AIW_PIPELINE_DIR when it is set (the folder of the pipeline files), else the working folder.
std::string resolve_table_path(const std::string& table);

// The table at a resolved path, loaded once per process and shared by every stage instance
// that names it. Failures are not remembered, so a fixed file is picked up by the next job.
std::shared_ptr<const FoodTable> cached_table(const std::string& path, std::string& error);

}  // namespace nutrition
