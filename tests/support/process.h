// Process: runs a program with arguments and environment for the integration tests, and
// captures its exit code, stdout and stderr.
//
// Both streams are drained together with poll(), so a child that fills one pipe while the test
// waits on the other cannot deadlock. A child still running at the timeout is killed with
// SIGKILL and the result says so. Header-only: the tests are the only users.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace aiw::test {

struct ProcessResult {
  int exit_code = -1;      // the code passed to exit(), or -1 when a signal ended the process
  int term_signal = 0;     // the signal that ended the process, or 0
  bool timed_out = false;  // the test killed it after the timeout
  std::string out;
  std::string err;
};

// Variables to set (name -> value) on top of the test's own environment; nullopt removes one.
using EnvOverrides = std::map<std::string, std::optional<std::string>>;

class Process {
 public:
  // Starts argv[0] (a path) with the test's environment changed by env; stdin is /dev/null.
  Process(const std::vector<std::string>& argv, const EnvOverrides& env = {}) {
    std::vector<std::string> env_strings = merged_environment(env);
    std::vector<char*> c_argv = c_strings(argv);
    std::vector<char*> c_env = c_strings(env_strings);
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
      close_all({out_pipe[0], out_pipe[1]});
      throw std::runtime_error("pipe2 failed");
    }
    pid_ = fork();
    if (pid_ < 0) {
      close_all({out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]});
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) exec_child(c_argv, c_env, out_pipe[1], err_pipe[1]);
    close_all({out_pipe[1], err_pipe[1]});
    out_fd_ = out_pipe[0];
    err_fd_ = err_pipe[0];
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close_all({out_fd_, err_fd_});
  }

  pid_t pid() const { return pid_; }
  void send_signal(int sig) { kill(pid_, sig); }

  // Drains both streams until the child closes them, then reaps it. Past timeout the child is
  // killed with SIGKILL (timed_out is set). Call once.
  ProcessResult wait(std::chrono::milliseconds timeout) {
    ProcessResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        kill(pid_, SIGKILL);
        break;
      }
      pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
      int ready = poll(fds, 2, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      drain(fds[0], out_fd_, result.out);
      drain(fds[1], err_fd_, result.err);
    }
    close_all({out_fd_, err_fd_});
    out_fd_ = err_fd_ = -1;
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
    return result;
  }

 private:
  static std::vector<std::string> merged_environment(const EnvOverrides& overrides) {
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry = *e;
      size_t eq = entry.find('=');
      if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [name, value] : overrides) {
      if (value)
        vars[name] = *value;
      else
        vars.erase(name);
    }
    std::vector<std::string> out;
    for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
    return out;
  }

  static std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
  }

  // In the forked child: only async-signal-safe calls until execve.
  [[noreturn]] static void exec_child(const std::vector<char*>& argv, const std::vector<char*>& env,
                                      int out_fd, int err_fd) {
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(err_fd, STDERR_FILENO) < 0)
      _exit(127);
    // The test runner may ignore or block signals; the child starts with the defaults.
    signal(SIGINT, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(argv[0], argv.data(), env.data());
    _exit(127);
  }

  // Appends what is readable on fd to text; closes fd (and sets it to -1) at end of stream.
  static void drain(const pollfd& polled, int& fd, std::string& text) {
    if (fd < 0 || (polled.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      close(fd);
      fd = -1;
    }
  }

  static void close_all(std::initializer_list<int> fds) {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
};

// Runs a program to the end (killed after timeout) and returns what it did.
inline ProcessResult run_process(const std::vector<std::string>& argv, const EnvOverrides& env = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  Process process(argv, env);
  return process.wait(timeout);
}

}  // namespace aiw::test
