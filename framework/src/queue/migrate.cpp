#include <pqxx/pqxx>

#include "queue/db.h"
#include "queue/migrations.h"

#include <cstdio>
#include <map>

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

}  // namespace

Status migrate(const std::string& database_url, MigrateReport* report) {
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
    pqxx::nontransaction unlock(**conn);
    unlock.exec("select pg_advisory_unlock(" + std::to_string(kMigrateLockKey) + ")");
    return Status();
  } catch (const std::exception& e) {
    return Status::error(std::string("migration failed: ") + e.what());
  }
}

}  // namespace aiw::queue
