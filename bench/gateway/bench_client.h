// What the gateway's load programs (open_loop, sse_streams) share: their users and tokens, the
// gateway's address, their own CPU time (printed so that their cost is visible), and reading
// their flags with aiw's own parser (cli/args.h).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "gateway/jwt.h"

namespace aiw::bench {

// A number flag (0 or more, fractions allowed), or fallback when absent; UsageError when not.
inline double number_flag(const cli::Args& args, const std::string& flag, double fallback) {
  auto v = args.value(flag);
  if (!v) return fallback;
  try {
    size_t used = 0;
    double n = std::stod(*v, &used);
    if (used == v->size() && n >= 0) return n;
  } catch (const std::exception&) {
  }
  throw cli::UsageError("--" + flag + " must be a number of 0 or more, got '" + *v + "'");
}

// The ids that run.sh put in auth.users, one per line, and an HS256 user token for each (valid
// two hours), minted with the gateway's secret so that JWT verification runs for real.
struct BenchUsers {
  std::vector<std::string> ids;
  std::vector<std::string> tokens;  // tokens[i] is ids[i]'s
};

// Empty ids when the file has none (or cannot be read).
inline BenchUsers load_bench_users(const std::string& users_file, const std::string& secret) {
  BenchUsers users;
  std::ifstream in(users_file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) users.ids.push_back(line);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const std::string& id : users.ids) {
    std::string claims = R"({"sub":")" + id + R"(","role":"authenticated","aud":"authenticated","iat":)" +
                         std::to_string(now) + R"(,"exp":)" + std::to_string(now + 7200) + "}";
    users.tokens.push_back(gateway::sign_hs256_for_tests(claims, secret));
  }
  return users;
}

// host is an IPv4 address (the benchmarks run on loopback).
inline sockaddr_in ipv4_address(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  return addr;
}

// User + system CPU of this process so far.
inline double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace aiw::bench
