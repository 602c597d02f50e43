// StageMetrics: what the framework records around every stage of every job, so that plugin
// authors write no metrics (DESIGN.md "Engine").
#pragma once

#include "obs/histogram.h"

#include <atomic>
#include <cstdint>
#include <string>

namespace aiw::obs {

struct StageMetrics {
  std::string pipeline;
  std::string stage;       // stage id
  std::string stage_type;  // `uses`
  std::atomic<uint64_t> started{0};    // invocations, retries included
  std::atomic<uint64_t> succeeded{0};
  std::atomic<uint64_t> failed{0};     // final failures (after the stage's own retries)
  std::atomic<uint64_t> retried{0};    // invocations that will be tried again
  std::atomic<uint64_t> skipped{0};    // not run because the job had already failed or ended
  std::atomic<int64_t> in_flight{0};
  Histogram latency;                   // per invocation, start to end
};

}  // namespace aiw::obs
