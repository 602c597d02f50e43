// Versioned SQL migrations (framework/migrations/NNNN_name.sql, compiled into the binary) and
// the runner behind `aiw migrate`.
//
// Safe to run any number of times and from several processes at once: a session advisory lock
// serialises runners, each migration is applied in its own transaction together with its row in
// aiw_schema_migrations, and applied versions are skipped.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aiw::queue {

struct Migration {
  int version;
  std::string_view name;  // file name without .sql, e.g. "0002_analysis_jobs"
  std::string_view sql;
};

std::span<const Migration> embedded_migrations();

struct MigrateReport {
  std::vector<std::string> applied;   // names applied by this run, in order
  std::vector<std::string> skipped;   // already applied before
  std::vector<std::string> warnings;  // e.g. an applied migration whose text changed since
};

// Applies every embedded migration not yet recorded in the database at database_url.
Status migrate(const std::string& database_url, MigrateReport* report);

// The application's own tables, e.g. the ones persist.row writes: every `sql/*.sql` file of
// each pipeline folder, applied after the embedded migrations, in file-name order, each once
// (recorded by file name in aiw_app_migrations, in the same transaction), under the same lock.
// A file whose text changed after it was applied is a warning, not a re-run. A folder without
// `sql/` has nothing to apply; two folders with a file of the same name are refused.
Status migrate(const std::string& database_url, const std::vector<std::string>& pipeline_dirs,
               MigrateReport* report);

}  // namespace aiw::queue
