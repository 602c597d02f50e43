// TemplateCompiler: turns a JSON value with ${...} references into a Template (see template.h).
//
// The loader uses it for every `with` block and for `output`; tests and tools may use it
// directly. Stage ids are resolved through a callback so that the caller decides which stages a
// template may read (the loader allows only upstream stages).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/schema.h"
#include "pipeline/template.h"

namespace aiw::pipeline {

class TemplateCompiler {
 public:
  struct Error {
    std::string pointer;  // JSON pointer of the string holding the bad reference
    std::string message;
  };
  // The index of stage `id`, or nullopt with a sentence in error (unknown, not upstream...).
  using StageResolver =
      std::function<std::optional<size_t>(std::string_view id, std::string& error)>;
  // The value of an environment variable, or nullopt when unset. Defaults to getenv.
  using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

  struct Options {
    StageResolver resolve_stage;  // when empty, every ${stages...} reference is an error
    EnvLookup env;
  };

  // Compiles value into out; false when any reference is bad, with every problem in errors.
  static bool compile(const JsonValue& value, const Options& options, Template& out,
                      std::vector<Error>& errors);

  // How a parameter schema should see a value before references are known: a string that is
  // one whole reference may become anything, a string with interpolations is some string.
  static json::Deferral deferral_of(const JsonValue& value);
};

}  // namespace aiw::pipeline
