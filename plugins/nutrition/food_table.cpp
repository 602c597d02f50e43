#include "food_table.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "csv.h"
#include "food_name.h"

namespace nutrition {
namespace {

constexpr const char* kColumns[] = {"food", "kcal", "protein", "carbohydrate", "fat", "fibre"};
constexpr size_t kMaxCandidates = 5;

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

// A table value: a non-negative number, or one of TACO's markers for "none".
bool table_number(const std::string& field, double& out) {
  std::string text = trim(field);
  if (text.empty() || text == "NA" || text == "Tr" || text == "*") {
    out = 0;
    return true;
  }
  if (size_t comma = text.find(',');
      comma != std::string::npos && text.find('.') == std::string::npos)
    text[comma] = '.';
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out) && out >= 0;
}

}  // namespace

std::shared_ptr<const FoodTable> FoodTable::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the food table " + path + ": " + std::strerror(errno) +
            " (relative paths resolve under $AIW_PIPELINE_DIR, else the working folder)";
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, error);
}

std::shared_ptr<const FoodTable> FoodTable::parse(std::string_view text, const std::string& origin,
                                                  std::string& error) {
  std::vector<CsvRecord> records;
  if (!parse_csv(text, records, error)) {
    error = "the food table " + origin + " is not valid CSV: " + error;
    return nullptr;
  }
  if (records.empty()) {
    error = "the food table " + origin + " is empty";
    return nullptr;
  }
  size_t column[std::size(kColumns)];
  const CsvRecord& header = records[0];
  for (size_t c = 0; c < std::size(kColumns); ++c) {
    column[c] = header.fields.size();
    for (size_t f = 0; f < header.fields.size(); ++f)
      if (trim(header.fields[f]) == kColumns[c]) column[c] = f;
    if (column[c] == header.fields.size()) {
      error = origin + ":" + std::to_string(header.line) + ": the header has no column \"" +
              kColumns[c] + "\"; a food table needs food,kcal,protein,carbohydrate,fat,fibre";
      return nullptr;
    }
  }
  auto table = std::make_shared<FoodTable>();
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& row = records[r];
    std::string where = origin + ":" + std::to_string(row.line) + ": ";
    if (row.fields.size() != header.fields.size()) {
      error = where + std::to_string(row.fields.size()) + " fields where the header has " +
              std::to_string(header.fields.size()) + " (quote names that contain commas)";
      return nullptr;
    }
    Food food;
    food.name = trim(row.fields[column[0]]);
    double* values[] = {&food.per_100g.kcal, &food.per_100g.protein, &food.per_100g.carbohydrate,
                        &food.per_100g.fat, &food.per_100g.fibre};
    for (size_t c = 1; c < std::size(kColumns); ++c) {
      if (!table_number(row.fields[column[c]], *values[c - 1])) {
        error = where + kColumns[c] + " \"" + row.fields[column[c]] +
                "\" is not a number >= 0 (write NA, Tr or nothing for none)";
        return nullptr;
      }
    }
    std::string key = normalise_name(food.name);
    if (key.empty()) {
      error = where + "the food has no name";
      return nullptr;
    }
    if (auto [it, added] = table->by_name_.emplace(key, table->foods_.size()); !added) {
      error = where + "\"" + food.name + "\" repeats \"" + table->foods_[it->second].name +
              "\" (names are compared without case, accents and punctuation)";
      return nullptr;
    }
    table->by_segment_[first_segment(food.name)].push_back(table->foods_.size());
    table->foods_.push_back(std::move(food));
  }
  if (table->foods_.empty()) {
    error = "the food table " + origin + " has a header but no foods";
    return nullptr;
  }
  return table;
}

Match FoodTable::match(std::string_view name) const {
  Match m;
  std::string key = normalise_name(name);
  if (key.empty()) return m;
  if (auto it = by_name_.find(key); it != by_name_.end()) {
    m.kind = Match::kFound;
    m.food = &foods_[it->second];
    return m;
  }
  auto it = by_segment_.find(key);
  if (it == by_segment_.end()) return m;
  if (it->second.size() == 1) {
    m.kind = Match::kFound;
    m.food = &foods_[it->second[0]];
    m.by_first_part = true;
    return m;
  }
  m.kind = Match::kAmbiguous;
  for (size_t i = 0; i < it->second.size() && i < kMaxCandidates; ++i)
    m.candidates.push_back(foods_[it->second[i]].name);
  return m;
}

std::string resolve_table_path(const std::string& table) {
  std::filesystem::path path(table);
  if (path.is_absolute()) return table;
  const char* dir = std::getenv("AIW_PIPELINE_DIR");
  if (dir == nullptr || *dir == '\0') return table;
  return (std::filesystem::path(dir) / path).lexically_normal().string();
}

std::shared_ptr<const FoodTable> cached_table(const std::string& path, std::string& error) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const FoodTable>> tables;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = tables.find(path); it != tables.end()) return it->second;
  auto table = FoodTable::load(path, error);
  if (table) tables.emplace(path, table);
  return table;
}

}  // namespace nutrition
