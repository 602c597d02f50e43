// Monitor: the gateway's view of the system, refreshed every second on a thread and connection
// of its own: per-type flags (aiw_flags, so a change takes effect within seconds without a
// restart), which job types have a live worker, queue depth by type and status (less often while
// counting it is slow: see run()), and the alerts
// derived from them (backlog, no live worker), each POSTed once per episode to ALERT_WEBHOOK_URL.
// It also beats the gateway's own row in aiw_workers (serving no type) so that jobs it runs
// in-process (fallback) are not taken for a dead worker's.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config.h"

namespace aiw::gateway {

struct Flag {
  bool async_enabled = false;
  int canary_percent = 100;
  std::string source;  // "table", "env" or "default"
};

struct Alert {
  std::string name;     // "queue_backlog", "no_live_worker"
  std::string message;  // a sentence for people
  int64_t since_unix_ms = 0;
};

struct SystemSnapshot {
  bool database_up = false;
  std::map<std::string, int> live_workers_by_type;
  int live_workers = 0;
  std::map<std::string, std::map<std::string, int64_t>> depth;  // type -> status -> count
  int64_t pending_total = 0;
  std::vector<Alert> alerts;
};

class Monitor {
 public:
  Monitor(const GatewayConfig& config, std::string gateway_id);
  ~Monitor();
  void start();
  void stop();

  // The flag of a type: the table's row, else the env default, else GATEWAY_ASYNC_DEFAULT.
  Flag flag(const std::string& type) const;
  std::map<std::string, Flag> flags(const std::vector<std::string>& types) const;
  bool has_live_worker(const std::string& type) const;
  SystemSnapshot snapshot() const;

  // Jobs this gateway runs in-process: kept alive by its heartbeat.
  void hold(const std::string& job_id);
  void release(const std::string& job_id);
  // Re-reads flags now (after an admin change) instead of at the next tick.
  void refresh_soon();

 private:
  void run();
  void refresh();
  void update_alerts(SystemSnapshot& next, int64_t now_ms);
  void send_webhook(const Alert& alert, bool resolved);

  const GatewayConfig& config_;
  std::string gateway_id_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool refresh_now_ = false;
  std::map<std::string, Flag> table_flags_;
  SystemSnapshot snapshot_;
  std::set<std::string> held_;
  int64_t no_worker_since_ms_ = 0;
  std::map<std::string, int64_t> active_alerts_;  // name -> since
  std::thread thread_;
};

}  // namespace aiw::gateway
