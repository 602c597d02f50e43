// The aiw-sim program: the first line names the port, flags set the start-up knobs, signals
// stop it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "sim_test_support.h"

namespace {

using aiw::sim::testing::http;
using aiw::sim::testing::parse;

// Starts aiw-sim with `args`, returns its pid and the first line of its stdout.
pid_t start(std::vector<std::string> args, std::string& first_line) {
  int out[2];
  if (pipe(out) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv = {const_cast<char*>(AIW_SIM_BINARY)};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(AIW_SIM_BINARY, argv.data());
    _exit(127);
  }
  close(out[1]);
  FILE* stream = fdopen(out[0], "r");
  char line[256] = {};
  if (fgets(line, sizeof line, stream) != nullptr) first_line = line;
  fclose(stream);
  return pid;
}

int stop(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(SimMain, PrintsItsUrlFirstAndServesWithKnobsFromFlags) {
  std::string line;
  pid_t pid = start({"--port", "0", "--gemini-fail-status", "429", "--ollama-answer-style=fenced",
                     "--config", R"({"yolo":{"latency_ms":5}})"},
                    line);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(line.rfind("listening on http://127.0.0.1:", 0), 0u) << line;
  const std::string url = line.substr(std::string("listening on ").size(), line.size() - 14);
  EXPECT_EQ(http("GET", url + "/api/version").status, 200);
  aiw::Json config = parse(http("GET", url + "/_sim/config").body);
  EXPECT_EQ(config["gemini"]["fail_status"].GetInt(), 429);
  EXPECT_STREQ(config["ollama"]["answer_style"].GetString(), "fenced");
  EXPECT_EQ(config["yolo"]["latency_ms"].GetInt(), 5);
  int status = stop(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(SimMain, HelpAndBadFlags) {
  std::string line;
  pid_t pid = start({"--help"}, line);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(line.rfind("usage: aiw-sim", 0), 0u);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  pid = start({"--ollama-no-such-knob", "1"}, line = "");
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
}

}  // namespace
