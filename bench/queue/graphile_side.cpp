#include "graphile_side.h"

#include <aiw/json.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace aiw::bench {

SideResult run_graphile(const GraphileOptions& o) {
  std::string command = "cd '" + o.script_dir + "' && DATABASE_URL='" + o.url + "'" +
                        " JOBS=" + std::to_string(o.jobs) + " BATCH=" + std::to_string(o.batch) +
                        " CONCURRENCY=" + std::to_string(o.concurrency) +
                        " LOCAL_QUEUE=" + std::to_string(o.local_queue) +
                        " COMPLETE_BATCH_DELAY_MS=" + std::to_string(o.complete_batch_delay_ms) +
                        " SAMPLES=" + std::to_string(o.samples) +
                        " INTERVAL_MS=" + std::to_string(o.interval_ms) +
                        " POLL_MS=" + std::to_string(o.poll_ms) + " node bench.js";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("could not run: " + command);
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  int status = pclose(pipe);
  Json doc;
  std::string last = out;  // the last line holds the JSON
  while (!last.empty() && last.back() == '\n') last.pop_back();
  size_t line = last.rfind('\n');
  line = line == std::string::npos ? 0 : line + 1;
  if (status != 0 || line == std::string::npos || !parse_json(last.substr(line), doc) ||
      !doc.IsObject())
    throw std::runtime_error("the graphile-worker bench failed (exit " + std::to_string(status) +
                             "); its output:\n" + out);
  SideResult r;
  r.name = std::string("graphile-worker ") + doc["version"].GetString();
  r.settings = "concurrency " + std::to_string(o.concurrency) + ", localQueue.size " +
               std::to_string(o.local_queue) + ", complete/failJobBatchDelay " +
               std::to_string(o.complete_batch_delay_ms) + " ms, addJobs " +
               std::to_string(o.batch) + "/call";
  r.drain.jobs = o.jobs;
  r.drain.enqueue_per_s = doc["enqueue_per_s"].GetDouble();
  r.drain.drain_s = doc["drain_s"].GetDouble();
  r.drain.drain_per_s = doc["drain_per_s"].GetDouble();
  r.drain.steady_per_s = doc["steady_per_s"].GetDouble();
  const JsonValue& p = doc["pickup"];
  r.pickup.samples = p["samples"].GetInt();
  r.pickup.p50 = p["p50"].GetDouble();
  r.pickup.p95 = p["p95"].GetDouble();
  r.pickup.p99 = p["p99"].GetDouble();
  r.pickup.max = p["max"].GetDouble();
  return r;
}

}  // namespace aiw::bench
