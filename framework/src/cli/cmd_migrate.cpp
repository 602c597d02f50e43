// aiw migrate: brings the database schema up to date (framework/migrations, compiled in).
#include "cli/args.h"
#include "cli/commands.h"
#include "common/path_list.h"
#include "queue/db.h"
#include "queue/migrations.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw migrate [--database-url URL] [--pipelines DIR[:DIR...]] [--quiet]\n"
    "Applies the schema migrations this aiw carries that the database does not have yet, each in\n"
    "its own transaction, recorded in aiw_schema_migrations; then the application tables of the\n"
    "pipeline folders (every DIR/sql/*.sql not applied yet, in name order, recorded in\n"
    "aiw_app_migrations). Safe to repeat and to run from several processes at once. The URL\n"
    "defaults to DATABASE_URL, the folders to PIPELINES_DIR (the worker's setting).\n";
}

int cmd_migrate(const CommandArgs& argv) {
  try {
    Args args(argv, {"database-url", "pipelines"}, {"help", "quiet"});
    if (args.has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!args.positionals().empty()) throw UsageError("migrate takes no file arguments");
    std::string url;
    if (auto flag = args.value("database-url")) {
      url = *flag;
    } else if (const char* env = std::getenv("DATABASE_URL"); env != nullptr && *env != '\0') {
      url = env;
    } else {
      throw UsageError("no database: set DATABASE_URL or pass --database-url");
    }
    std::vector<std::string> pipeline_dirs;
    if (auto flag = args.value("pipelines")) {
      pipeline_dirs = split_path_list(*flag);
      if (pipeline_dirs.empty()) throw UsageError("--pipelines needs a folder");
    } else if (const char* env = std::getenv("PIPELINES_DIR"); env != nullptr) {
      pipeline_dirs = split_path_list(env);
    }
    queue::MigrateReport report;
    Status status = queue::migrate(url, pipeline_dirs, &report);
    for (const std::string& w : report.warnings) std::fprintf(stderr, "aiw migrate: warning: %s\n", w.c_str());
    if (!status.ok()) {
      std::fprintf(stderr, "aiw migrate: %s\n", status.message().c_str());
      return 1;
    }
    if (!args.has("quiet")) {
      for (const std::string& name : report.applied) std::printf("applied %s\n", name.c_str());
      std::printf("schema up to date at %s (%zu applied now, %zu already)\n",
                  queue::redact_url(url).c_str(), report.applied.size(), report.skipped.size());
    }
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "aiw migrate: %s\n%s", e.what(), kUsage);
    return 2;
  }
}

}  // namespace aiw::cli
