#include "db_pool.h"

#include <libpq-fe.h>

#include <utility>

#include "statement.h"

namespace persist {
namespace {

constexpr Oid kJsonOid = 114;
constexpr Oid kJsonbOid = 3802;

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Fills `out` from a failed result (or a missing one: the connection broke).
void describe_failure(PGconn* conn, PGresult* result, InsertOutcome& out) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  out.sqlstate = state ? state : "";
  out.message = trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn));
  if (out.message.rfind("ERROR:  ", 0) == 0) out.message.erase(0, 8);
  bool broken = PQstatus(conn) != CONNECTION_OK;
  out.kind = broken || is_retryable_sqlstate(out.sqlstate) ? InsertOutcome::Kind::kRetryable
                                                           : InsertOutcome::Kind::kPermanent;
}

}  // namespace

void Connection::close() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  statements_.clear();
}

bool Connection::connect(InsertOutcome& failure) {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return true;
  close();
  std::string connect_timeout = std::to_string(options_.connect_timeout_s);
  std::string pg_options = "-c statement_timeout=" + std::to_string(options_.statement_timeout_ms);
  // The URL is expanded first; the keywords after it override what it says.
  const char* keys[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
  const char* values[] = {options_.url.c_str(), connect_timeout.c_str(), pg_options.c_str(),
                          "aiw-persist", nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return true;
  failure.kind = InsertOutcome::Kind::kRetryable;
  failure.message = "could not connect to the database: " +
                    trimmed(conn_ ? PQerrorMessage(conn_) : "out of memory");
  close();
  return false;
}

const std::vector<bool>* Connection::prepare(const std::string& sql, std::string& name,
                                             InsertOutcome& failure) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    name = it->second.name;
    return &it->second.json_params;
  }
  name = "aiw_persist_" + std::to_string(statements_.size() + 1);
  PGresult* prepared = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
  bool ok = prepared && PQresultStatus(prepared) == PGRES_COMMAND_OK;
  if (!ok) describe_failure(conn_, prepared, failure);
  PQclear(prepared);
  if (!ok) return nullptr;
  PGresult* described = PQdescribePrepared(conn_, name.c_str());
  ok = described && PQresultStatus(described) == PGRES_COMMAND_OK;
  Prepared entry{name, {}};
  if (ok) {
    for (int i = 0; i < PQnparams(described); ++i) {
      Oid type = PQparamtype(described, i);
      entry.json_params.push_back(type == kJsonOid || type == kJsonbOid);
    }
  } else {
    describe_failure(conn_, described, failure);
  }
  PQclear(described);
  if (!ok) return nullptr;
  return &statements_.emplace(sql, std::move(entry)).first->second.json_params;
}

InsertOutcome Connection::insert(const std::string& sql, const ParamBuilder& build) {
  InsertOutcome out;
  if (!connect(out)) return out;
  std::string name;
  const std::vector<bool>* json_params = prepare(sql, name, out);
  if (json_params == nullptr) {
    if (out.kind == InsertOutcome::Kind::kRetryable) close();
    return out;
  }
  std::vector<std::optional<std::string>> params = build(*json_params);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* result = PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                    values.data(), nullptr, nullptr, 0);
  if (result && PQresultStatus(result) == PGRES_TUPLES_OK) {
    out.kind = PQntuples(result) > 0 ? InsertOutcome::Kind::kWritten
                                     : InsertOutcome::Kind::kAlreadyWritten;
  } else {
    describe_failure(conn_, result, out);
    // A broken connection is rebuilt by the next task; a statement error leaves it usable.
    if (PQstatus(conn_) != CONNECTION_OK) close();
  }
  PQclear(result);
  return out;
}

std::shared_ptr<DbPool> DbPool::shared(const PoolOptions& options) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<DbPool>> pools;
  std::string key = options.url + '\n' + std::to_string(options.connections) + '\n' +
                    std::to_string(options.connect_timeout_s) + '\n' +
                    std::to_string(options.statement_timeout_ms);
  std::lock_guard lock(mu);
  if (auto existing = pools[key].lock()) return existing;
  auto pool = std::make_shared<DbPool>(options);
  pools[key] = pool;
  return pool;
}

DbPool::DbPool(PoolOptions options) : options_(std::move(options)) {
  for (int i = 0; i < options_.connections; ++i) threads_.emplace_back([this] { serve(); });
}

DbPool::~DbPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void DbPool::submit(Task task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void DbPool::serve() {
  Connection connection(options_);
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and the queue is drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task(connection);
  }
}

}  // namespace persist
