// The aiw side of bench/queue: a real `aiw worker` process on a database of its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "results.h"

namespace aiw::bench {

struct AiwOptions {
  std::string url;            // a database of its own (migrated here)
  std::string aiw_binary;     // build/bin/aiw
  std::string plugin_dir;     // where aiw_testkit.so is
  std::filesystem::path dir;  // pipelines and the worker's log go here
  int64_t jobs = 100000;
  int batch = 1000;          // jobs per enqueue statement
  int concurrency = 1000;    // WORKER_CONCURRENCY
  int claim_batch = 500;     // WORKER_CLAIM_BATCH
  int samples = 1000;        // pickup latency samples
  int interval_ms = 20;      // between two pickup samples
  int produce_seconds = 60;  // 0: no concurrent-enqueue run
  int produce_rate = 25000;  // offered jobs/s
  int produce_batch = 250;   // jobs per enqueue statement while producing
  int poll_ms = 100;         // how often the drain is counted from another connection
  std::string setup_sql;     // run after migrating: for A/B experiments on the schema
};

SideResult run_aiw(const AiwOptions& options);

}  // namespace aiw::bench
