#include "cli/args.h"

#include <fstream>
#include <sstream>

namespace aiw::cli {

Args::Args(const std::vector<std::string>& argv, std::set<std::string> value_flags,
           std::set<std::string> bool_flags) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      positionals_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (value_flags.count(name)) {
      if (inline_value) {
        values_[name] = *inline_value;
      } else if (i + 1 < argv.size()) {
        values_[name] = argv[++i];
      } else {
        throw UsageError("--" + name + " needs a value");
      }
    } else if (bool_flags.count(name)) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      bools_.insert(name);
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
}

bool Args::has(const std::string& flag) const {
  return bools_.count(flag) > 0 || values_.count(flag) > 0;
}

std::optional<std::string> Args::value(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

long long Args::positive(const std::string& flag, long long fallback) const {
  auto v = value(flag);
  if (!v) return fallback;
  try {
    size_t used = 0;
    long long n = std::stoll(*v, &used);
    if (used == v->size() && n > 0) return n;
  } catch (const std::exception&) {
  }
  throw UsageError("--" + flag + " must be a positive whole number, got '" + *v + "'");
}

std::string read_input_arg(const std::string& arg) {
  if (arg.empty() || arg[0] != '@') return arg;
  std::ifstream in(arg.substr(1), std::ios::binary);
  if (!in) throw UsageError("cannot read the input file " + arg.substr(1));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace aiw::cli
