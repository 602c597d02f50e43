// QueueTest: each test gets a fresh database, migrated by the real migration code, on the
// PostgreSQL this test process started (tests/support/postgres_server.h).
#pragma once

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "queue/db.h"
#include "queue/job_store.h"
#include "queue/migrations.h"
#include "support/postgres_server.h"

namespace aiw::testing {

// The migrated template database of this process: created once, copied per test.
inline const std::string& migrated_template() {
  static const std::string name = [] {
    PostgresServer& pg = PostgresServer::shared();
    pg.execute("create database aiw_template");
    queue::MigrateReport report;
    Status status = queue::migrate(pg.url("aiw_template"), &report);
    if (!status.ok()) throw std::runtime_error(status.message());
    return std::string("aiw_template");
  }();
  return name;
}

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().create_database_from(migrated_template());
    admin_ = std::make_unique<pqxx::connection>(url_);
  }

  // A new user in auth.users; returns its id.
  std::string add_user() {
    pqxx::nontransaction tx(*admin_);
    return tx.exec1("insert into auth.users (id, email) values (gen_random_uuid(), 'u@example.com') returning id::text")[0]
        .c_str();
  }

  std::unique_ptr<queue::JobStore> store(const std::string& worker_id = "w1") {
    auto conn = queue::connect(url_);
    if (!conn) throw std::runtime_error(conn.error());
    return std::make_unique<queue::JobStore>(*conn, worker_id);
  }

  // Runs SQL as the superuser and returns the first column of the first row ("" when none).
  // Reconnects when the server went away meanwhile (chaos tests restart it).
  std::string scalar(const std::string& sql) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!admin_ || !admin_->is_open()) admin_ = std::make_unique<pqxx::connection>(url_);
        pqxx::nontransaction tx(*admin_);
        pqxx::result r = tx.exec(sql);
        if (r.empty() || r[0][0].is_null()) return "";
        return r[0][0].c_str();
      } catch (const std::exception& e) {
        if (!queue::is_connection_lost(e) || attempt >= 50) throw;
        admin_.reset();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  void exec(const std::string& sql) { scalar(sql); }
  std::string status_of(const std::string& id) {
    return scalar("select status from analysis_jobs where id = '" + id + "'");
  }

  queue::NewJob job(const std::string& user, const std::string& type = "echo",
                    const std::string& input = "{}", int priority = 5) {
    queue::NewJob j;
    j.user_id = user;
    j.type = type;
    j.input_json = input;
    j.priority = priority;
    return j;
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> admin_;
};

}  // namespace aiw::testing
