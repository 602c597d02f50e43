// aiw: one binary, one subcommand per job (DESIGN.md "Shape").
#include "cli/args.h"
#include "cli/commands.h"

#include <aiw/abi.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr const char* kUsage =
    "usage: aiw <command> [options]\n"
    "\n"
    "commands:\n"
    "  validate FILE...                       check pipeline files; exit 1 on any problem\n"
    "  run FILE --input JSON|@file [--timings] run one job in this process (no database)\n"
    "  plugins [--json]                       list every stage type and its parameters\n"
    "  bench FILE --jobs N --concurrency C    run N jobs, C at a time; print per-stage stats\n"
    "  migrate                                bring the database schema up to date\n"
    "  worker                                 claim jobs from PostgreSQL and run them\n"
    "  gateway                                the HTTP job API (202 + id, fallback, admin)\n"
    "  token --sub UUID | --service-role       a development JWT signed with SUPABASE_JWT_SECRET\n"
    "\n"
    "`aiw <command> --help` describes a command. Plugins are found on AIW_PLUGIN_PATH\n"
    "(colon-separated folders), then in the install's lib/aiw/plugins.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string command = argv[1];
  aiw::cli::CommandArgs rest(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("aiw %s (plugin ABI %d.%d)\n", AIW_VERSION, AIW_ABI_MAJOR, AIW_ABI_MINOR);
    return 0;
  }
  try {
    if (command == "validate") return aiw::cli::cmd_validate(rest);
    if (command == "run") return aiw::cli::cmd_run(rest);
    if (command == "plugins") return aiw::cli::cmd_plugins(rest);
    if (command == "bench") return aiw::cli::cmd_bench(rest);
    if (command == "migrate") return aiw::cli::cmd_migrate(rest);
    if (command == "worker") return aiw::cli::cmd_worker(rest);
    if (command == "gateway") return aiw::cli::cmd_gateway(rest);
    if (command == "token") return aiw::cli::cmd_token(rest);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aiw %s: %s\n", command.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "aiw: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
