// The users of the gateway benchmarks (open_loop, sse_streams): the ids that run.sh put in
// auth.users, one per line, and an HS256 user token for each (valid two hours), minted with the
// gateway's secret so that JWT verification runs for real on every request.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/jwt.h"

namespace aiw::bench {

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

}  // namespace aiw::bench
