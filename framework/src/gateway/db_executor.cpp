#include "gateway/db_executor.h"

#include "obs/log.h"
#include "queue/session.h"

namespace aiw::gateway {

DbExecutor::DbExecutor(std::string database_url, std::string name, int threads,
                       std::function<void(queue::JobStore&)> on_connect)
    : url_(std::move(database_url)), name_(std::move(name)), on_connect_(std::move(on_connect)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

DbExecutor::~DbExecutor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void DbExecutor::post(Work work, Unavailable on_unavailable) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back({std::move(work), std::move(on_unavailable)});
  }
  cv_.notify_one();
}

size_t DbExecutor::queued() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void DbExecutor::run() {
  queue::Session session(url_, name_, on_connect_);
  queue::Backoff backoff;
  auto not_before = std::chrono::steady_clock::now();
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    // While the database is away, answer at once instead of hammering it: one reconnect try
    // per backoff period, the tasks in between get 503.
    if (!session.connected() && std::chrono::steady_clock::now() < not_before) {
      task.on_unavailable("the database cannot be reached right now");
      continue;
    }
    bool ran = false;
    try {
      ran = session.try_run(task.work);
    } catch (const std::exception& e) {
      obs::log(obs::LogLevel::kError, "a gateway database task failed", {{"error", e.what()}});
      task.on_unavailable("the database refused the request");
      continue;
    }
    if (ran) {
      up_ = true;
      backoff.reset();
      continue;
    }
    up_ = false;
    not_before = std::chrono::steady_clock::now() + backoff.next();
    task.on_unavailable("the database cannot be reached right now");
  }
}

}  // namespace aiw::gateway
