// DbExecutor: a few threads, each with its own connection, that run the gateway's database work
// off the HTTP I/O thread. Handlers post a task and answer from its callback; when PostgreSQL
// cannot be reached the task's on_unavailable runs instead (the handler answers 503 with
// Retry-After) and the thread reconnects with backoff on the next task.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "queue/job_store.h"

namespace aiw::gateway {

class DbExecutor {
 public:
  using Work = std::function<void(queue::JobStore&)>;
  using Unavailable = std::function<void(const std::string& reason)>;

  // on_connect runs on every new connection (session settings).
  DbExecutor(std::string database_url, std::string name, int threads,
             std::function<void(queue::JobStore&)> on_connect = nullptr);
  ~DbExecutor();  // finishes queued tasks (as unavailable when the database is gone), joins

  // work runs on an executor thread with a connected store; exceptions that are not a lost
  // connection are the work's own business (it should catch them and answer).
  void post(Work work, Unavailable on_unavailable);
  bool database_up() const { return up_.load(); }
  size_t queued() const;

 private:
  struct Task {
    Work work;
    Unavailable on_unavailable;
  };
  void run();

  std::string url_;
  std::string name_;
  std::function<void(queue::JobStore&)> on_connect_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stop_ = false;
  std::atomic<bool> up_{true};
  std::vector<std::thread> threads_;
};

}  // namespace aiw::gateway
