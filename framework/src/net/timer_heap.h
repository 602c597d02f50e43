// TimerHeap: the IoLoop's pending timers, a min-heap by due time with O(1) cancel.
// Not thread-safe: the IoLoop guards it with its mutex.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

namespace aiw::net {

class TimerHeap {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = uint64_t;

  void add(Clock::time_point due, Id id, std::function<void()> fn) {
    pending_.emplace(id, std::move(fn));
    heap_.push_back({due, id});
    std::push_heap(heap_.begin(), heap_.end(), LaterFirst{});
  }

  // True when the timer was pending: its fn is dropped and will never run.
  bool cancel(Id id) {
    bool was_pending = pending_.erase(id) > 0;
    // The heap entry stays and is skipped when it reaches the top; rebuild once such entries
    // outnumber live ones (long stage timeouts, nearly always cancelled, would pile up).
    if (heap_.size() >= kCompactAbove && heap_.size() >= 2 * pending_.size()) {
      std::erase_if(heap_, [&](const Entry& e) { return !pending_.contains(e.id); });
      std::make_heap(heap_.begin(), heap_.end(), LaterFirst{});
    }
    return was_pending;
  }

  // Moves out the fns due at `now`, earliest first (ties: the oldest first).
  void take_due(Clock::time_point now, std::vector<std::function<void()>>& out) {
    while (!heap_.empty() && heap_.front().due <= now) {
      auto it = pending_.find(heap_.front().id);
      pop();
      if (it == pending_.end()) continue;  // cancelled
      out.push_back(std::move(it->second));
      pending_.erase(it);
    }
  }

  // When the next live timer is due; nullopt when none is pending.
  std::optional<Clock::time_point> next_due() {
    while (!heap_.empty() && !pending_.contains(heap_.front().id)) pop();
    if (heap_.empty()) return std::nullopt;
    return heap_.front().due;
  }

 private:
  static constexpr size_t kCompactAbove = 1024;

  struct Entry {
    Clock::time_point due;
    Id id;
  };
  // The std heap functions build a max-heap: invert so the earliest (then the oldest) is on top.
  struct LaterFirst {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.due != b.due ? a.due > b.due : a.id > b.id;
    }
  };

  void pop() {
    std::pop_heap(heap_.begin(), heap_.end(), LaterFirst{});
    heap_.pop_back();
  }

  std::vector<Entry> heap_;  // may hold cancelled ids
  std::unordered_map<Id, std::function<void()>> pending_;
};

}  // namespace aiw::net
