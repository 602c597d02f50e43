// Every stage's class comment carries a YAML example (DESIGN.md: MediaPipe-style stage docs);
// this proves each one is a valid pipeline stage for the stage type it documents.
#include "engine_test_support.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace aiw::testing {
namespace {

struct Snippet {
  std::string file;
  std::string yaml;  // "- id: ...\n  uses: ...\n"
};

// Collects comment lines from "//   - id:" or "//   - {" on, while they stay indented under
// it (YAML comments "//   #" included).
std::vector<Snippet> snippets_in(const std::filesystem::path& file) {
  std::vector<Snippet> out;
  std::ifstream in(file);
  std::string line;
  Snippet current;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("//   - id:", 0) == 0 || line.rfind("//   - {", 0) == 0) {
      if (inside) out.push_back(current);
      current = {file.string(), line.substr(5) + "\n"};
      inside = true;
    } else if (inside && (line.rfind("//     ", 0) == 0 || line.rfind("//   #", 0) == 0)) {
      current.yaml += line.substr(5) + "\n";
    } else if (inside) {
      out.push_back(current);
      inside = false;
    }
  }
  if (inside) out.push_back(current);
  return out;
}

// The examples of every in-tree plugin (each folder of plugins/).
std::vector<Snippet> all_snippets() {
  std::vector<Snippet> all;
  for (const auto& dir : std::filesystem::directory_iterator(AIW_SOURCE_DIR "/plugins"))
    if (dir.is_directory())
      for (const auto& f : std::filesystem::directory_iterator(dir.path()))
        if (f.path().extension() == ".cpp")
          for (auto& s : snippets_in(f.path())) all.push_back(s);
  return all;
}

TEST(StageDocs, EveryInTreeStageTypeHasAnExample) {
  std::set<std::string> documented;
  const std::regex uses(R"(uses:\s*([A-Za-z0-9_.]+))");
  for (const auto& s : all_snippets()) {
    std::smatch m;
    if (std::regex_search(s.yaml, m, uses)) documented.insert(m[1]);
  }
  for (const auto* type : testkit_registry().all())
    EXPECT_TRUE(documented.count(type->name))
        << type->name << " (" << type->plugin_file << ") has no YAML example in its class comment";
}

TEST(StageDocs, EveryPluginStageExampleValidates) {
  std::vector<Snippet> all = all_snippets();
  ASSERT_GE(all.size(), 10u) << "the stage comments lost their examples";
  const std::regex needs_list(R"(needs:\s*\[([^\]]*)\])");
  const std::regex env_ref(R"(\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\})");
  for (const auto& s : all) {
    std::string pipeline = "name: doc_example\nversion: \"1\"\nstages:\n";
    // An example may name upstream stages and env variables of a larger pipeline: stand them in.
    std::smatch m;
    if (std::regex_search(s.yaml, m, needs_list)) {
      std::string ids = m[1];
      for (size_t start = 0; start <= ids.size();) {
        size_t end = ids.find(',', start);
        std::string id = ids.substr(start, end == std::string::npos ? std::string::npos : end - start);
        id.erase(0, id.find_first_not_of(' '));
        id.erase(id.find_last_not_of(' ') + 1);
        if (!id.empty()) pipeline += "  - { id: " + id + ", uses: testkit.echo }\n";
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
    for (auto it = std::sregex_iterator(s.yaml.begin(), s.yaml.end(), env_ref);
         it != std::sregex_iterator(); ++it)
      setenv((*it)[1].str().c_str(), "http://127.0.0.1:9", 0);
    std::string indented;
    for (size_t start = 0; start < s.yaml.size();) {
      size_t end = s.yaml.find('\n', start);
      indented += "  " + s.yaml.substr(start, end - start) + "\n";
      start = end + 1;
    }
    auto loaded = pipeline::load_pipeline_text(pipeline + indented, s.file, testkit_registry());
    std::string problems;
    for (const auto& d : loaded.diagnostics) problems += d.to_string() + "\n";
    EXPECT_TRUE(loaded.ok()) << s.file << ":\n" << indented << problems;
  }
}

}  // namespace
}  // namespace aiw::testing
