#include "queue/session.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <random>

#include "obs/log.h"
#include "queue/db.h"

namespace aiw::queue {

Session::Session(std::string database_url, std::string worker_id, OnConnect on_connect)
    : url_(std::move(database_url)), worker_id_(std::move(worker_id)),
      on_connect_(std::move(on_connect)) {}

bool Session::try_run(const std::function<void(JobStore&)>& f) {
  try {
    if (!store_) {
      auto conn = connect(url_);
      if (!conn) {
        last_error_ = conn.error();
        return false;
      }
      auto store = std::make_unique<JobStore>(*conn, worker_id_);
      if (on_connect_) on_connect_(*store);
      store_ = std::move(store);
    }
    f(*store_);
    return true;
  } catch (const std::exception& e) {
    if (!is_connection_lost(e)) throw;
    last_error_ = e.what();
    store_.reset();
    return false;
  }
}

std::chrono::milliseconds Backoff::next() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  int64_t base = std::min<int64_t>(5000, int64_t{100} << std::min(attempt_, 6));
  ++attempt_;
  std::uniform_int_distribution<int64_t> jitter(base / 2, base);
  return std::chrono::milliseconds(jitter(rng));
}

}  // namespace aiw::queue
