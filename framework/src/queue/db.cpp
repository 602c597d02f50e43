#include "queue/db.h"

#include <pqxx/pqxx>

#include <regex>

namespace aiw::queue {

std::string redact_url(const std::string& url) {
  // postgresql://user:secret@host/... and key=value "password=secret" forms.
  static const std::regex uri_password(R"(^([a-z]+://[^:/@]*):[^@]*@)");
  static const std::regex kv_password(R"(password\s*=\s*\S+)");
  std::string out = std::regex_replace(url, uri_password, "$1:***@");
  return std::regex_replace(out, kv_password, "password=***");
}

Result<std::shared_ptr<pqxx::connection_base>> connect(const std::string& database_url) {
  try {
    auto connection = std::make_shared<pqxx::connection>(database_url);
    // Every statement aiw runs is short. PostgreSQL's JIT compiles a plan whose estimated cost
    // passes jit_above_cost, and estimates of the queue's statements do (a per-row count over a
    // user's active jobs, a batch of hundreds): compiling then took ~30 ms for a statement that
    // runs in ~1 ms, on every call.
    //
    // aiw sends its NOTIFYs after its writes commit, in a statement of their own: a transaction
    // that notifies holds a database-wide lock through its commit's WAL flush, so writers that
    // notify cannot share a flush (migration 0008). The setting turns the insert trigger's
    // NOTIFY off for aiw's own inserts; JobStore and the gateway's Enqueuer notify instead.
    pqxx::nontransaction(*connection).exec("set jit = off; set aiw.notify_after_commit = on");
    return std::shared_ptr<pqxx::connection_base>(std::move(connection));
  } catch (const std::exception& e) {
    std::string reason = e.what();
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    return Status::error("could not connect to PostgreSQL at " + redact_url(database_url) + ": " +
                         reason + " (check DATABASE_URL and that the server is running)");
  }
}

bool is_connection_lost(const std::exception& error) {
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) return true;
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) return true;
  // Admin shutdown / crash recovery arrive as SQL errors of class 57P (operator intervention)
  // or 08 (connection exception) before the socket closes.
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    const std::string& state = sql->sqlstate();
    return state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0;
  }
  return false;
}

}  // namespace aiw::queue
