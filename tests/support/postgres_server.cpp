#include "support/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace aiw::testing {
namespace {

namespace fs = std::filesystem;

const char* const kBinDirs[] = {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin",
                                "/usr/lib/postgresql/17/bin"};

fs::path postgres_bin(const std::string& tool) {
  if (const char* dir = getenv("AIW_PG_BINDIR")) return fs::path(dir) / tool;
  for (const char* dir : kBinDirs)
    if (fs::exists(fs::path(dir) / tool)) return fs::path(dir) / tool;
  throw std::runtime_error("PostgreSQL's " + tool +
                           " was not found in /usr/lib/postgresql/15/bin; install postgresql-15 "
                           "(packaging/install-deps.sh does) or set AIW_PG_BINDIR");
}

// The account the server runs as: `postgres` when we are root (PostgreSQL refuses root).
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs run_as() {
  RunAs who;
  if (geteuid() != 0) return who;
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr)
    throw std::runtime_error(
        "running as root, and PostgreSQL refuses root, but there is no `postgres` user to run it "
        "as; install Debian's postgresql-15 package, which creates it");
  who.switch_user = true;
  who.uid = pw->pw_uid;
  who.gid = pw->pw_gid;
  return who;
}

uint16_t free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("could not find a free loopback port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// Forks and execs argv as the server account, output appended to log. In the child only
// async-signal-safe calls are made. With die_with_parent the kernel sends SIGQUIT to the child
// when the forking thread dies, set after the uid change (which would clear it).
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log, bool die_with_parent) {
  RunAs who = run_as();
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::string log_path = log.string();
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed: " + std::string(strerror(errno)));
  if (pid != 0) return pid;
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int null_fd = open("/dev/null", O_RDONLY);
  if (fd < 0 || null_fd < 0) _exit(126);
  dup2(null_fd, STDIN_FILENO);
  dup2(fd, STDOUT_FILENO);
  dup2(fd, STDERR_FILENO);
  setsid();  // a terminal's Ctrl-C reaches the test, which then stops the server cleanly
  if (who.switch_user) {
    if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(125);
  }
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != parent) _exit(124);  // the parent died before prctl
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execv(c_argv[0], c_argv.data());
  _exit(127);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string tail(const std::string& text, size_t max_chars = 2000) {
  return text.size() <= max_chars ? text : text.substr(text.size() - max_chars);
}

// Runs a PostgreSQL tool (or cp) as the server account and waits; throws with its log on failure.
void run_tool(const std::vector<std::string>& argv, const fs::path& log, const std::string& what) {
  pid_t pid = spawn(argv, log, false);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(what + " failed:\n" + tail(read_file(log)));
}

fs::path make_server_dir(const fs::path& parent, const std::string& prefix) {
  std::string pattern = (parent / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("could not create a folder for PostgreSQL in " + parent.string());
  RunAs who = run_as();
  if (who.switch_user && chown(pattern.c_str(), who.uid, who.gid) != 0)
    throw std::runtime_error("could not give " + pattern + " to the postgres user");
  return pattern;
}

std::vector<std::string> initdb_argv(const fs::path& data) {
  return {postgres_bin("initdb").string(), "-D", data.string(), "-U", "postgres", "--auth=trust",
          "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"};
}

// initdb costs ~2 s, copying its output ~0.2 s: with AIW_PG_CLUSTER_CACHE set (the test suites
// set it to a folder of the build tree), the first process to need a cluster initialises one
// there (under a file lock, published by rename) and every process copies it.
fs::path cached_cluster() {
  const char* cache_env = getenv("AIW_PG_CLUSTER_CACHE");
  if (cache_env == nullptr || *cache_env == '\0') return {};
  fs::path cache = cache_env;
  if (fs::exists(cache / "data" / "PG_VERSION")) return cache / "data";
  fs::create_directories(cache.parent_path());
  int lock = open((cache.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0)
    throw std::runtime_error("could not lock " + cache.string() + ".lock");
  if (!fs::exists(cache / "data" / "PG_VERSION")) {
    fs::path staging = make_server_dir(cache.parent_path(), cache.filename().string() + ".staging");
    run_tool(initdb_argv(staging / "data"), staging / "initdb.log", "initdb");
    std::error_code ec;
    fs::remove_all(cache, ec);
    fs::rename(staging, cache);
  }
  close(lock);
  return cache / "data";
}

}  // namespace

PostgresServer::PostgresServer(PostgresOptions options) : options_(options) {}

PostgresServer::~PostgresServer() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

PostgresServer& PostgresServer::shared() {
  // Destroyed by exit(): the server stops and its folder goes when the test binary ends.
  static PostgresServer server;
  if (!server.running()) server.start();
  return server;
}

void PostgresServer::init_cluster() {
  dir_ = make_server_dir(fs::temp_directory_path(), "aiw-pg");
  fs::path cached = cached_cluster();
  if (cached.empty())
    run_tool(initdb_argv(dir_ / "data"), dir_ / "initdb.log", "initdb");
  else
    run_tool({"/bin/cp", "-a", cached.string(), (dir_ / "data").string()}, dir_ / "initdb.log",
             "copying the cached cluster " + cached.string());
}

void PostgresServer::start() {
  if (running()) return;
  if (dir_.empty()) init_cluster();
  if (port_ == 0) port_ = free_loopback_port();
  std::vector<std::string> argv = {postgres_bin("postgres").string(),
                                   "-D", (dir_ / "data").string(),
                                   "-p", std::to_string(port_),
                                   "-c", "listen_addresses=127.0.0.1",
                                   "-c", "unix_socket_directories=" + dir_.string(),
                                   "-c", "max_connections=" + std::to_string(options_.max_connections),
                                   "-c", "shared_buffers=256MB",
                                   "-c", "log_min_messages=warning",
                                   "-c", "log_min_error_statement=panic"};
  if (!options_.durable) {
    for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      argv.push_back("-c");
      argv.push_back(setting);
    }
  }
  pid_ = spawn(argv, dir_ / "server.log", true);
  wait_until_ready();
}

void PostgresServer::wait_until_ready() {
  std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("PostgreSQL exited during start-up:\n" +
                               tail(read_file(dir_ / "server.log")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("PostgreSQL did not accept connections within 60 s:\n" +
                           tail(read_file(dir_ / "server.log")));
}

void PostgresServer::stop() {
  if (!running()) return;
  kill(pid_, SIGINT);  // fast shutdown: abort sessions, checkpoint, exit
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void PostgresServer::execute(const std::string& sql, const std::string& database) const {
  PGconn* conn = PQconnectdb(url(database).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("could not connect to the test database: " + message);
  }
  PGresult* result = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  std::string message = PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(conn);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("SQL failed: " + message + "in: " + sql.substr(0, 200));
}

std::string PostgresServer::create_database(const std::string& prefix) {
  std::string name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(next_database_++);
  execute("create database " + name);
  return url(name);
}

std::string PostgresServer::create_database_from(const std::string& template_name,
                                                 const std::string& prefix) {
  std::string name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(next_database_++);
  execute("create database " + name + " template " + template_name);
  return url(name);
}

}  // namespace aiw::testing
