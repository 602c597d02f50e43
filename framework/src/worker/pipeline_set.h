// The pipelines a worker serves: one engine per job type, built once at start.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"

namespace aiw::plugin {
class PluginRegistry;
}

namespace aiw::worker {

struct Pipeline {
  std::string type;     // the pipeline's name
  std::string version;
  bool cached = false;  // its cache policy is on (and ENABLE_CACHE)
  int64_t cache_ttl_seconds = 0;
  std::unique_ptr<engine::Engine> engine;
};

class PipelineSet {
 public:
  // Loads every *.yaml / *.yml in the given folders and files. Fails with every problem of
  // every file (file:line:column: sentence), or when two files declare the same name.
  static Result<PipelineSet> load(const std::vector<std::string>& paths,
                                  const plugin::PluginRegistry& registry, bool enable_cache,
                                  int64_t default_cache_ttl_seconds);

  const Pipeline* find(const std::string& type) const;
  std::vector<std::string> types() const;
  const std::map<std::string, std::unique_ptr<Pipeline>>& all() const { return pipelines_; }

 private:
  std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
};

}  // namespace aiw::worker
