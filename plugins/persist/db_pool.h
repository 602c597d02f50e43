// DbPool: a few threads of the plugin's own, each with one libpq connection, that run the
// database work of persist.row so that no engine (TBB) thread ever waits on PostgreSQL.
//
// Why threads and blocking libpq rather than libpq's async API on the host's loop: the host's
// I/O loop serves HTTP (curl) only and offers plugins no socket watch, and a couple of threads
// per database are cheap next to the connections they hold; the engine's stage `concurrency`
// and this pool's size bound what PostgreSQL sees, however many jobs are in flight.
//
// Pools are shared per (database URL, size, statement timeout) by every persist stage of the
// process, so six pipelines writing to one database hold `connections` connections, not six
// times that. The last stage to let go stops the pool: its threads finish the queued work
// (each bounded by the connect and statement timeouts) and exit.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

typedef struct pg_conn PGconn;

namespace persist {

struct PoolOptions {
  std::string url;
  int connections = 2;
  int connect_timeout_s = 5;
  int statement_timeout_ms = 10000;
};

// What one INSERT did.
struct InsertOutcome {
  enum class Kind { kWritten, kAlreadyWritten, kRetryable, kPermanent };
  Kind kind = Kind::kRetryable;
  std::string sqlstate;  // on errors, when the server gave one
  std::string message;   // on errors: the server's or libpq's sentence
};

// Builds the parameter values once the statement's parameter types are known: json_params[i]
// says whether parameter i+1 goes into a json/jsonb column.
using ParamBuilder =
    std::function<std::vector<std::optional<std::string>>(const std::vector<bool>& json_params)>;

// One connection, used by one pool thread only.
class Connection {
 public:
  explicit Connection(const PoolOptions& options) : options_(options) {}
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (an INSERT ... RETURNING) as a prepared statement: prepared and described once
  // per connection, so the parameter types come from the table itself.
  InsertOutcome insert(const std::string& sql, const ParamBuilder& params);

 private:
  bool connect(InsertOutcome& failure);
  const std::vector<bool>* prepare(const std::string& sql, std::string& name,
                                   InsertOutcome& failure);
  void close();

  const PoolOptions& options_;
  PGconn* conn_ = nullptr;
  struct Prepared {
    std::string name;
    std::vector<bool> json_params;
  };
  std::map<std::string, Prepared> statements_;
};

class DbPool {
 public:
  using Task = std::function<void(Connection&)>;

  // The process's pool for these options, started on first use.
  static std::shared_ptr<DbPool> shared(const PoolOptions& options);

  explicit DbPool(PoolOptions options);
  ~DbPool();
  DbPool(const DbPool&) = delete;
  DbPool& operator=(const DbPool&) = delete;

  // Queues a task; one of the pool's threads runs it with its connection.
  void submit(Task task);

 private:
  void serve();

  const PoolOptions options_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace persist
