// The stage graph: unique ids, known needs, no cycle, and a topological order.
#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

#include "pipeline/loader_internal.h"

namespace aiw::pipeline::internal {
namespace {

std::string join_ids(const std::vector<RawStage>& stages, const std::vector<size_t>& cycle) {
  std::string text;
  for (size_t i : cycle) text += stages[i].spec.id + " -> ";
  return text + stages[cycle.front()].spec.id;
}

// The mark of the `needs` entry of stage `from` that names stage `to`.
Mark need_mark(const RawStage& from, const std::string& to) {
  for (const auto& [id, mark] : from.needs)
    if (id == to) return mark;
  return from.spec.mark;
}

// After Kahn's algorithm every stage left over sits on, or downstream of, a cycle: walking
// needs among them must come back to a stage already walked. Each cycle is reported once.
void report_cycles(const std::vector<RawStage>& stages,
                   const std::vector<std::vector<size_t>>& needs, const std::vector<bool>& left,
                   Diagnostics& diagnostics) {
  std::vector<int> walked(stages.size(), -1);  // the walk that first reached the stage
  for (size_t start = 0; start < stages.size(); ++start) {
    if (!left[start] || walked[start] != -1) continue;
    std::vector<size_t> path;
    size_t current = start;
    while (walked[current] == -1) {
      walked[current] = static_cast<int>(start);
      path.push_back(current);
      size_t next = current;
      for (size_t need : needs[current])
        if (left[need]) {
          next = need;
          break;
        }
      current = next;
    }
    if (walked[current] != static_cast<int>(start)) continue;  // reached an earlier walk's cycle
    std::vector<size_t> cycle(std::find(path.begin(), path.end(), current), path.end());
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    const RawStage& first = stages[cycle.front()];
    const std::string& second = stages[cycle.size() > 1 ? cycle[1] : cycle[0]].spec.id;
    diagnostics.add(need_mark(first, second),
                    "stages form a cycle: " + join_ids(stages, cycle) +
                        " (each needs the next); remove one of these needs");
  }
}

}  // namespace

bool check_graph(const std::vector<RawStage>& stages, std::vector<size_t>& order,
                 std::vector<std::vector<size_t>>& needs, Diagnostics& diagnostics) {
  size_t before = diagnostics.size();
  std::unordered_map<std::string, size_t> ids;
  std::vector<std::string> names;
  for (size_t i = 0; i < stages.size(); ++i) {
    const std::string& id = stages[i].spec.id;
    if (id.empty()) continue;
    auto [it, inserted] = ids.emplace(id, i);
    if (inserted)
      names.push_back(id);
    else
      diagnostics.add(stages[i].id_mark, "duplicate stage id '" + id +
                                             "' (first declared on line " +
                                             std::to_string(stages[it->second].id_mark.line) + ")");
  }
  needs.assign(stages.size(), {});
  for (size_t i = 0; i < stages.size(); ++i) {
    for (const auto& [id, mark] : stages[i].needs) {
      auto it = ids.find(id);
      if (it != ids.end()) {
        needs[i].push_back(it->second);
        continue;
      }
      auto suggestion = nearest_name(id, names);
      diagnostics.add(mark, "stage '" + stages[i].spec.id + "' needs '" + id +
                                "', which is not a stage of this pipeline" +
                                (suggestion ? "; did you mean '" + *suggestion + "'?" : ""));
    }
  }
  // Kahn's algorithm, lowest declaration index first, so independent stages keep file order.
  std::vector<size_t> waiting(stages.size());
  std::vector<std::vector<size_t>> downstream(stages.size());
  for (size_t i = 0; i < stages.size(); ++i) {
    waiting[i] = needs[i].size();
    for (size_t need : needs[i]) downstream[need].push_back(i);
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < stages.size(); ++i)
    if (waiting[i] == 0) ready.push(i);
  order.clear();
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t next : downstream[i])
      if (--waiting[next] == 0) ready.push(next);
  }
  if (order.size() != stages.size()) {
    std::vector<bool> left(stages.size(), true);
    for (size_t i : order) left[i] = false;
    report_cycles(stages, needs, left, diagnostics);
    order.clear();
    for (size_t i = 0; i < stages.size(); ++i) order.push_back(i);
  }
  return diagnostics.size() == before;
}

}  // namespace aiw::pipeline::internal
