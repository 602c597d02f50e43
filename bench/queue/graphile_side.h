// The graphile-worker side of bench/queue: bench/queue/graphile/bench.js run with node on a
// database of its own on the same PostgreSQL.
#pragma once

#include <string>

#include "results.h"

namespace aiw::bench {

struct GraphileOptions {
  std::string url;
  std::string script_dir;  // bench/queue/graphile, with node_modules installed
  int64_t jobs = 100000;
  int batch = 1000;
  int concurrency = 24;
  int local_queue = 500;
  int complete_batch_delay_ms = 0;
  int samples = 1000;
  int interval_ms = 20;
  int poll_ms = 100;
};

SideResult run_graphile(const GraphileOptions& options);

}  // namespace aiw::bench
