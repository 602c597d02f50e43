// Args: the small flag parser behind every `aiw` subcommand.
//
// Accepts `--name value`, `--name=value`, boolean `--flag`, and positionals. Anything else
// (an unknown flag, a missing value, a bad number) is a UsageError: the caller prints the
// command's usage line and exits 2.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace aiw::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  // value_flags take a value; bool_flags do not. Both are given without the leading "--".
  Args(const std::vector<std::string>& argv, std::set<std::string> value_flags,
       std::set<std::string> bool_flags);

  bool has(const std::string& flag) const;
  std::optional<std::string> value(const std::string& flag) const;
  // A positive integer flag, or fallback when absent; throws UsageError when malformed.
  long long positive(const std::string& flag, long long fallback) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> bools_;
  std::vector<std::string> positionals_;
};

// Reads `--input`: inline JSON text, or @path for a file. Throws UsageError on a missing file.
std::string read_input_arg(const std::string& arg);

}  // namespace aiw::cli
