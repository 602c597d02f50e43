// Helpers for engine tests: the real plugin registry with the testkit plugin, pipelines from
// YAML text, and running jobs to completion.
#pragma once

#include "engine/engine.h"
#include "pipeline/loader.h"
#include "plugin/registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace aiw::testing {

// The registry with the in-tree plugins (testkit) loaded once per test binary.
inline const plugin::PluginRegistry& testkit_registry() {
  static const auto* registry = [] {
    auto* r = new plugin::PluginRegistry();
    r->load_directory(AIW_BUILD_PLUGIN_DIR);
    return r;
  }();
  return *registry;
}

inline pipeline::PipelineSpec load_spec(const std::string& yaml) {
  auto loaded = pipeline::load_pipeline_text(yaml, "test.yaml", testkit_registry());
  std::string problems;
  for (const auto& d : loaded.diagnostics) problems += d.to_string() + "\n";
  EXPECT_TRUE(loaded.ok()) << problems;
  return loaded.ok() ? std::move(*loaded.spec) : pipeline::PipelineSpec{};
}

inline std::unique_ptr<engine::Engine> make_engine(const std::string& yaml) {
  auto created = engine::Engine::create(load_spec(yaml), testkit_registry());
  EXPECT_TRUE(created.ok()) << created.error();
  return created.ok() ? std::move(*created) : nullptr;
}

// Starts one job whose result lands in `result` (valid after engine.wait_idle()).
inline engine::JobHandle start_job(engine::Engine& engine, engine::JobResult& result,
                                   const std::string& id = "job-1",
                                   const std::string& input = "{}",
                                   const std::string& user_id = "") {
  engine::JobRequest request;
  request.id = id;
  request.input_json = input;
  request.user_id = user_id;
  request.on_done = [&result](engine::JobResult&& r) { result = std::move(r); };
  return engine.submit(std::move(request));
}

// Runs one job to the end and returns its result.
inline engine::JobResult run_job(engine::Engine& engine, const std::string& input = "{}",
                                 const std::string& id = "job-1",
                                 const std::string& user_id = "") {
  engine::JobResult result;
  start_job(engine, result, id, input, user_id);
  engine.wait_idle();
  return result;
}

inline const engine::StageTiming& stage_of(const engine::JobResult& r, const std::string& id) {
  for (const auto& s : r.stages)
    if (s.id == id) return s;
  static engine::StageTiming none;
  ADD_FAILURE() << "no stage " << id;
  return none;
}

}  // namespace aiw::testing
