// The `aiw` subcommands. Each takes the arguments after its name and returns the exit code:
// 0 success, 1 the work failed (invalid pipeline, failed job), 2 bad usage.
#pragma once

#include <string>
#include <vector>

namespace aiw::cli {

using CommandArgs = std::vector<std::string>;

int cmd_validate(const CommandArgs& args);
int cmd_run(const CommandArgs& args);
int cmd_plugins(const CommandArgs& args);
int cmd_bench(const CommandArgs& args);
int cmd_migrate(const CommandArgs& args);
int cmd_worker(const CommandArgs& args);
int cmd_gateway(const CommandArgs& args);
int cmd_token(const CommandArgs& args);

}  // namespace aiw::cli
