#include "worker/running_jobs.h"

namespace aiw::worker {

void RunningJob::stop(StopReason reason, const std::string& sentence) {
  StopReason none = StopReason::kNone;
  if (!stop_reason.compare_exchange_strong(none, reason)) return;
  std::lock_guard lock(mu_);
  stop_requested_ = true;
  stop_sentence_ = sentence;
  if (handle_.valid()) handle_.cancel(sentence);
}

void RunningJob::set_handle(engine::JobHandle handle) {
  std::lock_guard lock(mu_);
  handle_ = std::move(handle);
  // A stop that came between submit() and here still reaches the engine.
  if (stop_requested_) handle_.cancel(stop_sentence_);
}

void RunningJobs::add(std::shared_ptr<RunningJob> job) {
  std::lock_guard lock(mu_);
  std::string id = job->claim.id;
  jobs_.emplace(std::move(id), std::move(job));
  size_.store(jobs_.size(), std::memory_order_release);
}

void RunningJobs::remove(const std::string& id) {
  std::shared_ptr<RunningJob> last;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  last = std::move(it->second);
  jobs_.erase(it);
  size_.store(jobs_.size(), std::memory_order_release);
}

std::shared_ptr<RunningJob> RunningJobs::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second;
}

std::vector<std::string> RunningJobs::ids() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(jobs_.size());
  for (const auto& [id, job] : jobs_) out.push_back(id);
  return out;
}

std::vector<std::shared_ptr<RunningJob>> RunningJobs::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<RunningJob>> out;
  out.reserve(jobs_.size());
  for (const auto& [id, job] : jobs_) out.push_back(job);
  return out;
}

}  // namespace aiw::worker
