// aiw token: mints a Supabase-style HS256 JWT with SUPABASE_JWT_SECRET, for local development,
// the demo and benchmarks. Production tokens come from Supabase Auth, never from here.
#include "cli/args.h"
#include "cli/commands.h"
#include "gateway/jwt.h"
#include "gateway/jwt_claims.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw token (--sub USER_UUID [--premium] | --service-role) [--ttl SECONDS]\n"
    "Prints a JWT signed with SUPABASE_JWT_SECRET (HS256), shaped like Supabase's: a user access\n"
    "token (role authenticated, aud authenticated) or a service-role key. For development only.\n";
}

int cmd_token(const CommandArgs& argv) {
  try {
    Args args(argv, {"sub", "ttl"}, {"help", "premium", "service-role"});
    if (args.has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    const char* secret = std::getenv("SUPABASE_JWT_SECRET");
    if (secret == nullptr || *secret == '\0') throw UsageError("set SUPABASE_JWT_SECRET to the secret the gateway uses");
    long long ttl = args.positive("ttl", 3600);
    long long now = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
    std::string times = R"("iat":)" + std::to_string(now) + R"(,"exp":)" + std::to_string(now + ttl);
    std::string claims;
    if (args.has("service-role")) {
      claims = R"({"iss":"supabase","role":"service_role",)" + times + "}";
    } else {
      auto sub = args.value("sub");
      if (!sub || !gateway::is_uuid(*sub)) throw UsageError("--sub must be the user's UUID");
      claims = R"({"sub":")" + *sub + R"(","role":"authenticated","aud":"authenticated",)" + times +
               (args.has("premium") ? R"(,"app_metadata":{"plan":"premium"})" : "") + "}";
    }
    std::printf("%s\n", gateway::sign_hs256_for_tests(claims, secret).c_str());
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "aiw token: %s\n%s", e.what(), kUsage);
    return 2;
  }
}

}  // namespace aiw::cli
