// aiw validate FILE...: loads each pipeline as a worker would and reports every problem.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"

#include <cstdio>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw validate FILE...\n"
    "Checks pipeline YAML files against the loaded plugins: keys, stage types, needs (cycles),\n"
    "parameters against each stage's schema, ${...} references. Prints file:line:column: problem\n"
    "for each and exits 1 when any file has one.\n";
}

int cmd_validate(const CommandArgs& argv) {
  try {
    Args args(argv, {}, {"help", "quiet"});
    if (args.has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args.positionals().empty()) throw UsageError("name at least one pipeline file");
    auto registry = load_plugins();
    int bad = 0;
    for (const std::string& file : args.positionals()) {
      auto spec = load_pipeline(file, *registry);
      if (!spec) {
        ++bad;
      } else if (!args.has("quiet")) {
        std::printf("%s: ok (pipeline %s %s, %zu stages)\n", file.c_str(), spec->name.c_str(),
                    spec->version.c_str(), spec->stages.size());
      }
    }
    return bad == 0 ? 0 : 1;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "aiw validate: %s\n%s", e.what(), kUsage);
    return 2;
  }
}

}  // namespace aiw::cli
