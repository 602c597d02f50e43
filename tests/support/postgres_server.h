// PostgresServer: a real PostgreSQL 15 (Debian's package) that the tests start themselves in a
// temporary folder on a free loopback port, and stop afterwards.
//
// Why this shape:
// - PostgreSQL refuses to run as root, and CI runs as root: the server (and initdb) run as the
//   `postgres` system user that Debian's package creates; as any other user they run as that user.
// - The server dies with the test process even on a crash or SIGKILL of the test: the child asks
//   the kernel for SIGQUIT (immediate shutdown) when its parent thread dies (PR_SET_PDEATHSIG),
//   so no test leaves a postgres behind.
// - initdb costs ~1 s, a database copied from a template ~50 ms: one cluster per test process,
//   one fresh database per test (create_database()).
// - stop()/start() keep the folder and the port, so chaos tests can take the database away and
//   bring it back under running workers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/types.h>

namespace aiw::testing {

struct PostgresOptions {
  // Tests trade durability for speed (fsync off); benchmarks keep PostgreSQL's defaults.
  bool durable = false;
  int max_connections = 300;
};

class PostgresServer {
 public:
  explicit PostgresServer(PostgresOptions options = {});
  ~PostgresServer();  // stops the server and removes its folder
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The one server of this test process, started on first use (throws with a sentence when
  // PostgreSQL cannot be started). Stopped at exit.
  static PostgresServer& shared();

  void start();  // initdb on first start; waits until it accepts connections
  void stop();   // fast shutdown; the folder and port stay for start()
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  // postgresql://postgres@127.0.0.1:<port>/<database>
  std::string url(const std::string& database = "postgres") const;

  // Runs SQL on a database as the superuser; throws with the server's message on error.
  void execute(const std::string& sql, const std::string& database = "postgres") const;
  // A fresh, empty database with a unique name; returns its URL.
  std::string create_database(const std::string& prefix = "t");
  // A fresh database copied from `template_name` (which must exist); returns its URL.
  std::string create_database_from(const std::string& template_name,
                                   const std::string& prefix = "t");

 private:
  void init_cluster();
  void wait_until_ready();

  PostgresOptions options_;
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int next_database_ = 0;
};

}  // namespace aiw::testing
