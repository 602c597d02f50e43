#include "worker/pipeline_set.h"

#include <algorithm>
#include <filesystem>

#include "pipeline/loader.h"
#include "plugin/registry.h"

namespace aiw::worker {
namespace {

namespace fs = std::filesystem;

bool is_pipeline_file(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

Status collect_files(const std::vector<std::string>& paths, std::vector<std::string>& files) {
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.is_regular_file() && is_pipeline_file(entry.path())) found.push_back(entry.path().string());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      return Status::error("pipeline path " + path + " is neither a folder nor a file");
    }
  }
  if (files.empty())
    return Status::error("no pipeline files (*.yaml) found in " +
                         (paths.empty() ? std::string("(none given)") : paths.front()) +
                         "; set PIPELINES_DIR or pass --pipelines");
  return Status();
}

}  // namespace

Result<PipelineSet> PipelineSet::load(const std::vector<std::string>& paths,
                                      const plugin::PluginRegistry& registry, bool enable_cache,
                                      int64_t default_cache_ttl_seconds) {
  std::vector<std::string> files;
  if (Status s = collect_files(paths, files); !s.ok()) return s;
  PipelineSet set;
  std::string problems;
  std::map<std::string, std::string> file_of;
  for (const std::string& file : files) {
    auto loaded = pipeline::load_pipeline_file(file, registry);
    if (!loaded.ok()) {
      for (const auto& d : loaded.diagnostics) problems += d.to_string() + "\n";
      continue;
    }
    pipeline::PipelineSpec spec = std::move(*loaded.spec);
    if (auto it = file_of.find(spec.name); it != file_of.end()) {
      problems += file + ": pipeline name '" + spec.name + "' is already used by " + it->second +
                  "; each job type needs its own name\n";
      continue;
    }
    file_of[spec.name] = file;
    auto p = std::make_unique<Pipeline>();
    p->type = spec.name;
    p->version = spec.version;
    p->cached = enable_cache && spec.cache.enabled;
    p->cache_ttl_seconds = spec.cache.ttl_seconds > 0 ? spec.cache.ttl_seconds : default_cache_ttl_seconds;
    auto engine = engine::Engine::create(std::move(spec), registry);
    if (!engine) {
      problems += file + ": " + engine.error() + "\n";
      continue;
    }
    p->engine = std::move(*engine);
    set.pipelines_.emplace(p->type, std::move(p));
  }
  if (!problems.empty()) {
    problems.pop_back();
    return Status::error(problems);
  }
  return set;
}

const Pipeline* PipelineSet::find(const std::string& type) const {
  auto it = pipelines_.find(type);
  return it == pipelines_.end() ? nullptr : it->second.get();
}

std::vector<std::string> PipelineSet::types() const {
  std::vector<std::string> out;
  for (const auto& [type, p] : pipelines_) out.push_back(type);
  return out;
}

}  // namespace aiw::worker
