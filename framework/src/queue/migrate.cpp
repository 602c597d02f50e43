#include <pqxx/pqxx>

#include "queue/db.h"
#include "queue/migrations.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
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

void apply_app_sql(pqxx::connection_base& conn, const std::vector<AppSqlFile>& files,
                   MigrateReport* report) {
  pqxx::nontransaction session(conn);
  session.exec(kCreateAppLedger);
  std::map<std::string, std::string> applied;
  for (const auto& row : session.exec("select name, checksum from public.aiw_app_migrations"))
    applied[row[0].as<std::string>()] = row[1].as<std::string>();
  session.commit();
  for (const AppSqlFile& file : files) {
    std::string sum = checksum(file.sql);
    auto it = applied.find(file.name);
    if (it != applied.end()) {
      if (report) report->skipped.push_back(file.path);
      if (it->second != sum && report)
        report->warnings.push_back(file.path +
                                   " changed after it was applied; the database keeps the old "
                                   "version (add a new file instead of editing one)");
      continue;
    }
    try {
      pqxx::work tx(conn);
      tx.exec(file.sql);
      tx.exec_params("insert into public.aiw_app_migrations (name, checksum) values ($1, $2)",
                     file.name, sum);
      tx.commit();
    } catch (const std::exception& e) {
      throw std::runtime_error(file.path + ": " + e.what());
    }
    if (report) report->applied.push_back(file.path);
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
    session.exec(kCreateLedger);
    std::map<int, std::string> applied;
    for (const auto& row : session.exec("select version, checksum from public.aiw_schema_migrations"))
      applied[row[0].as<int>()] = row[1].as<std::string>();
    session.commit();
    for (const Migration& m : embedded_migrations()) {
      std::string sum = checksum(m.sql);
      auto it = applied.find(m.version);
      if (it != applied.end()) {
        if (report) report->skipped.emplace_back(m.name);
        if (it->second != sum && report)
          report->warnings.push_back(std::string(m.name) +
                                     " changed after it was applied; the database keeps the old "
                                     "version (write a new migration instead of editing one)");
        continue;
      }
      pqxx::work tx(**conn);
      tx.exec(std::string(m.sql));
      tx.exec_params("insert into public.aiw_schema_migrations (version, name, checksum) values ($1, $2, $3)",
                     m.version, std::string(m.name), sum);
      tx.commit();
      if (report) report->applied.emplace_back(m.name);
    }
    if (!app_sql.empty()) apply_app_sql(**conn, app_sql, report);
    pqxx::nontransaction unlock(**conn);
    unlock.exec("select pg_advisory_unlock(" + std::to_string(kMigrateLockKey) + ")");
    return Status();
  } catch (const std::exception& e) {
    return Status::error(std::string("migration failed: ") + e.what());
  }
}

}  // namespace aiw::queue
