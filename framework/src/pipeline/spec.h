// PipelineSpec: one job type, as loaded and fully validated from its YAML file.
//
// Everything that can be wrong with a pipeline is found here, at load, never mid-job; each
// problem is a Diagnostic naming file:line:column with a sentence (see loader.h).
#pragma once

#include "pipeline/template.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aiw::pipeline {

// A position in the YAML file, 1-based.
struct Mark {
  int line = 0;
  int column = 0;
};

struct RetryPolicy {
  int max_attempts = 3;        // total tries of a job (the queue's max_attempts)
  int64_t delay_ms = 2000;     // base of the exponential backoff
};

struct CachePolicy {
  bool enabled = false;
  int64_t ttl_seconds = 0;      // 0: not set in the file; the worker uses CACHE_TTL_HOURS
};

struct StageSpec {
  std::string id;
  std::string uses;                 // stage type name
  std::vector<size_t> needs;        // indices of upstream stages in PipelineSpec::stages
  Template with;                    // parameters, compiled
  std::string with_json;            // parameters as written (references unresolved), for create()
  int64_t timeout_ms = 0;           // the stage's timeout (its own or the pipeline default)
  int concurrency = 0;              // max jobs in flight in this stage; 0 = unlimited
  bool optional = false;            // a failure does not fail the job
  std::optional<RetryPolicy> retry; // the stage's own retry override, if any
  Mark mark;                        // where the stage is declared
};

struct PipelineSpec {
  std::string file;
  std::string name;                 // the job type
  std::string version;
  std::string description;
  std::string input_schema_json;    // JSON Schema of the job input; "" when none
  int64_t stage_timeout_ms = 30000; // defaults.timeout
  int64_t deadline_ms = 0;          // defaults.deadline: the whole job; 0 = none
  RetryPolicy retry;                // defaults.retry
  CachePolicy cache;
  std::vector<StageSpec> stages;    // in topological order: needs always point backwards
  // The job's result. When the YAML has no `output`, the loader sets it to the output of the
  // only terminal stage, or an object {id: output} of all terminal stages.
  Template output;
};

}  // namespace aiw::pipeline
