// aiw migrate: brings the database schema up to date (framework/migrations, compiled in).
#include "cli/args.h"
#include "cli/commands.h"
#include "queue/db.h"
#include "queue/migrations.h"

#include <cstdio>
#include <cstdlib>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw migrate [--database-url URL] [--quiet]\n"
    "Applies the schema migrations this aiw carries that the database does not have yet, each in\n"
    "its own transaction, recorded in aiw_schema_migrations. Safe to repeat and to run from\n"
    "several processes at once. The URL defaults to DATABASE_URL.\n";
}

int cmd_migrate(const CommandArgs& argv) {
  try {
    Args args(argv, {"database-url"}, {"help", "quiet"});
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
    queue::MigrateReport report;
    Status status = queue::migrate(url, &report);
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
