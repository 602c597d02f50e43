// Session: a JobStore whose connection comes back after PostgreSQL goes away.
//
// try_run(f) runs f(store), (re)connecting first when needed. A lost connection is reported as
// false (the caller paces its retries: see Backoff) and the next call reconnects; errors of the
// statement itself propagate. A new connection runs on_connect (e.g. LISTEN) before use.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "queue/job_store.h"

namespace aiw::queue {

class Session {
 public:
  using OnConnect = std::function<void(JobStore&)>;
  Session(std::string database_url, std::string worker_id, OnConnect on_connect = nullptr);

  // True when f ran to the end; false when the connection could not be made or was lost.
  bool try_run(const std::function<void(JobStore&)>& f);
  bool connected() const { return store_ != nullptr; }
  const std::string& last_error() const { return last_error_; }
  void disconnect() { store_.reset(); }

 private:
  std::string url_;
  std::string worker_id_;
  OnConnect on_connect_;
  std::unique_ptr<JobStore> store_;
  std::string last_error_;
};

// Exponential backoff with jitter for reconnects: 100 ms doubling to 5 s.
class Backoff {
 public:
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }

 private:
  int attempt_ = 0;
};

}  // namespace aiw::queue
