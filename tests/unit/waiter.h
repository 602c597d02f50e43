// Waiter: lets a test thread wait for callbacks that run on another thread, without sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace aiw::testing {

class Waiter {
 public:
  void notify() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  // True once notify() was called at least `n` times; false after a generous `limit` (a hang).
  bool wait_for(size_t n, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return count_ >= n; });
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t count_ = 0;
};

}  // namespace aiw::testing
