// Helpers for the pipeline tests: the real plugins and engine, a real PostgreSQL database per
// test (with the pipelines' tables applied), and small libpq queries to check what was written.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/job_id.h"
#include "support/postgres_server.h"
#include "unit/engine_test_support.h"

namespace aiw::testing {

inline std::string source_path(const std::string& relative) {
  return (std::filesystem::path(AIW_SOURCE_DIR) / relative).string();
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The database name at the end of a postgresql:// URL.
inline std::string database_of(const std::string& url) { return url.substr(url.rfind('/') + 1); }

// A fresh database with every pipelines/sql/*.sql applied, in name order; returns its URL.
inline std::string database_with_pipeline_tables() {
  auto& server = PostgresServer::shared();
  std::string url = server.create_database("pipe");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(source_path("pipelines/sql")))
    if (e.path().extension() == ".sql") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) server.execute(read_text(f.string()), database_of(url));
  return url;
}

// The first column of the first row of `sql` as text ("<null>" for NULL, "<none>" for no row,
// "<error: ...>" when the query fails).
inline std::string query_one(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string out;
  PGresult* r = PQexec(conn, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    out = "<error: " + std::string(PQresultErrorMessage(r)) + ">";
  } else if (PQntuples(r) == 0) {
    out = "<none>";
  } else {
    out = PQgetisnull(r, 0, 0) ? "<null>" : PQgetvalue(r, 0, 0);
  }
  PQclear(r);
  PQfinish(conn);
  return out;
}

inline std::unique_ptr<engine::Engine> engine_from_file(const std::string& path) {
  auto loaded = pipeline::load_pipeline_file(path, testkit_registry());
  std::string problems;
  for (const auto& d : loaded.diagnostics) problems += d.to_string() + "\n";
  EXPECT_TRUE(loaded.ok()) << problems;
  if (!loaded.ok()) return nullptr;
  auto created = engine::Engine::create(std::move(*loaded.spec), testkit_registry());
  EXPECT_TRUE(created.ok()) << created.error();
  return created.ok() ? std::move(*created) : nullptr;
}

inline std::string new_job_id() { return cli::random_uuid(); }

inline std::string describe(const engine::JobResult& r) {
  std::string text = std::string("status ") + engine::to_string(r.status) + " (" +
                     engine::to_string(r.error_kind) + ") error: " + r.error +
                     "\nresult: " + r.result_json.substr(0, 2000) + "\nstages:";
  for (const auto& s : r.stages)
    text += "\n  " + std::string(s.id) + " " + std::string(s.status) + " x" +
            std::to_string(s.attempts) + " " + s.error;
  return text;
}

}  // namespace aiw::testing
