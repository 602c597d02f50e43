#include <pqxx/pqxx>

#include "queue/db.h"
#include "queue/migrations.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace aiw::queue {
namespace {

// Any 64-bit constant works; this one spells "aiw migr".
constexpr long long kMigrateLockKey = 0x616977206d696772LL;

std::string checksum(std::string_view text) {
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a: stable across builds and platforms
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

constexpr const char* kCreateLedger =
    "create table if not exists public.aiw_schema_migrations ("
    " version int primary key, name text not null, checksum text not null,"
    " applied_at timestamptz not null default now())";

constexpr const char* kCreateAppLedger =
    "create table if not exists public.aiw_app_migrations ("
    " name text primary key, checksum text not null, applied_at timestamptz not null default now())";

struct AppSqlFile {
  std::string name;  // the file name, the ledger's key
  std::string path;
  std::string sql;
};

// Every sql/*.sql of the pipeline folders, in file-name order.
Status collect_app_sql(const std::vector<std::string>& pipeline_dirs, std::vector<AppSqlFile>& out) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> seen;  // name -> path
  std::vector<fs::path> folders;  // a pipeline file (the worker accepts files too) means its folder
  for (const std::string& dir : pipeline_dirs) {
    std::error_code ec;
    fs::path folder = fs::is_regular_file(dir, ec) ? fs::path(dir).parent_path() : fs::path(dir);
    if (folder.empty()) folder = ".";
    if (!fs::is_directory(folder, ec))
      return Status::error("pipeline folder " + dir + " does not exist; fix --pipelines or PIPELINES_DIR");
    folder = fs::weakly_canonical(folder, ec);
    if (std::find(folders.begin(), folders.end(), folder) == folders.end()) folders.push_back(folder);
  }
  for (const fs::path& folder : folders) {
    std::error_code ec;
    const fs::path sql_dir = folder / "sql";
    if (!fs::is_directory(sql_dir, ec)) continue;
    for (const auto& entry : fs::directory_iterator(sql_dir, ec)) {
      if (entry.path().extension() != ".sql") continue;
      AppSqlFile file{entry.path().filename().string(), entry.path().string(), {}};
      if (auto [it, fresh] = seen.emplace(file.name, file.path); !fresh)
        return Status::error("two application SQL files are named " + file.name + " (" + it->second +
                             " and " + file.path + "); they are recorded by name, so rename one");
      std::ifstream in(file.path, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (!in) return Status::error("cannot read " + file.path);
      file.sql = text.str();
      out.push_back(std::move(file));
    }
    if (ec) return Status::error("cannot list " + sql_dir.string() + ": " + ec.message());
  }
  std::sort(out.begin(), out.end(),
            [](const AppSqlFile& a, const AppSqlFile& b) { return a.name < b.name; });
  return Status();
}

// One script to apply at most once: `key` finds it in its ledger, `record` writes its ledger
// row in the script's own transaction.
struct Step {
  std::string key;
  std::string shown;  // in the report and in errors
  std::string_view sql;
  std::function<void(pqxx::work&, const std::string& checksum)> record;
};

// Applies, in order, every step its ledger does not hold, each in its own transaction with its
// ledger row; an applied step whose text changed since is a warning (`advice` says what to do).
void apply_once(pqxx::connection_base& conn, const char* create_ledger, const char* read_ledger,
                const std::vector<Step>& steps, const char* advice, MigrateReport* report) {
  pqxx::nontransaction session(conn);
  session.exec(create_ledger);
  std::map<std::string, std::string> applied;  // key -> checksum
  for (const auto& row : session.exec(read_ledger))
    applied[row[0].as<std::string>()] = row[1].as<std::string>();
  session.commit();
  for (const Step& step : steps) {
    const std::string sum = checksum(step.sql);
    if (auto it = applied.find(step.key); it != applied.end()) {
      if (report) report->skipped.push_back(step.shown);
      if (it->second != sum && report)
        report->warnings.push_back(step.shown + " changed after it was applied; the database " +
                                   "keeps the old version (" + advice + ")");
      continue;
    }
    try {
      pqxx::work tx(conn);
      tx.exec(std::string(step.sql));
      step.record(tx, sum);
      tx.commit();
    } catch (const std::exception& e) {
      throw std::runtime_error(step.shown + ": " + e.what());
    }
    if (report) report->applied.push_back(step.shown);
  }
}

}  // namespace

Status migrate(const std::string& database_url, MigrateReport* report) {
  return migrate(database_url, {}, report);
}

Status migrate(const std::string& database_url, const std::vector<std::string>& pipeline_dirs,
               MigrateReport* report) {
  std::vector<AppSqlFile> app_sql;
  if (Status listed = collect_app_sql(pipeline_dirs, app_sql); !listed.ok()) return listed;
  auto conn = connect(database_url);
  if (!conn) return conn.status();
  try {
    pqxx::nontransaction session(**conn);
    session.exec("select pg_advisory_lock(" + std::to_string(kMigrateLockKey) + ")");
    session.commit();
    std::vector<Step> core;
    for (const Migration& m : embedded_migrations()) {
      core.push_back({std::to_string(m.version), std::string(m.name), m.sql,
                      [&m](pqxx::work& tx, const std::string& sum) {
                        tx.exec_params("insert into public.aiw_schema_migrations (version, name, "
                                       "checksum) values ($1, $2, $3)",
                                       m.version, std::string(m.name), sum);
                      }});
    }
    apply_once(**conn, kCreateLedger, "select version::text, checksum from public.aiw_schema_migrations",
               core, "write a new migration instead of editing one", report);
    std::vector<Step> app;
    for (const AppSqlFile& file : app_sql) {
      app.push_back({file.name, file.path, file.sql,
                     [&file](pqxx::work& tx, const std::string& sum) {
                       tx.exec_params("insert into public.aiw_app_migrations (name, checksum) "
                                      "values ($1, $2)",
                                      file.name, sum);
                     }});
    }
    if (!app.empty())
      apply_once(**conn, kCreateAppLedger, "select name, checksum from public.aiw_app_migrations",
                 app, "add a new file instead of editing one", report);
    pqxx::nontransaction unlock(**conn);
    unlock.exec("select pg_advisory_unlock(" + std::to_string(kMigrateLockKey) + ")");
    return Status();
  } catch (const std::exception& e) {
    return Status::error(std::string("migration failed: ") + e.what());
  }
}

}  // namespace aiw::queue
