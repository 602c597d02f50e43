#include "gateway/monitor.h"

#include <curl/curl.h>
#include <unistd.h>

#include <pqxx/pqxx>

#include <chrono>

#include "obs/log.h"
#include "queue/session.h"

namespace aiw::gateway {
namespace {

constexpr auto kTick = std::chrono::seconds(1);
constexpr int kDepthDutyFactor = 20;  // see Monitor::run
constexpr int64_t kGatewayLeaseMs = 30000;

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

}  // namespace

Monitor::Monitor(const GatewayConfig& config, std::string gateway_id)
    : config_(config), gateway_id_(std::move(gateway_id)) {}

Monitor::~Monitor() { stop(); }

void Monitor::start() {
  no_worker_since_ms_ = unix_ms();
  thread_ = std::thread([this] { run(); });
}

void Monitor::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Flag Monitor::flag(const std::string& type) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = table_flags_.find(type); it != table_flags_.end()) return it->second;
  }
  Flag f;
  if (auto it = config_.async_defaults.find(type); it != config_.async_defaults.end()) {
    f.async_enabled = it->second;
    f.source = "env";
  } else {
    f.async_enabled = config_.async_default;
    f.source = "default";
  }
  return f;
}

std::map<std::string, Flag> Monitor::flags(const std::vector<std::string>& types) const {
  std::map<std::string, Flag> out;
  for (const auto& t : types) out[t] = flag(t);
  return out;
}

bool Monitor::has_live_worker(const std::string& type) const {
  std::lock_guard lock(mu_);
  auto it = snapshot_.live_workers_by_type.find(type);
  return it != snapshot_.live_workers_by_type.end() && it->second > 0;
}

SystemSnapshot Monitor::snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

void Monitor::hold(const std::string& job_id) {
  std::lock_guard lock(mu_);
  held_.insert(job_id);
}

void Monitor::release(const std::string& job_id) {
  std::lock_guard lock(mu_);
  held_.erase(job_id);
}

void Monitor::refresh_soon() {
  {
    std::lock_guard lock(mu_);
    refresh_now_ = true;
  }
  cv_.notify_all();
}

void Monitor::run() {
  queue::Session session(config_.database_url, gateway_id_);
  // Counting the unfinished jobs costs in proportion to them: in a backlog of 100,000+ it took
  // ~100-200 ms of PostgreSQL CPU, every second, slowing the enqueues it is there to watch. So
  // the count is repeated only after kDepthDutyFactor times its own duration has passed (at
  // most 1/20 of the time counting); while fast, that is every tick.
  std::chrono::steady_clock::time_point depth_due{};
  std::map<std::string, std::map<std::string, int64_t>> depth;
  int64_t pending_total = 0;
  for (;;) {
    SystemSnapshot next;
    std::map<std::string, Flag> flags;
    std::vector<std::string> held;
    {
      std::lock_guard lock(mu_);
      held.assign(held_.begin(), held_.end());
    }
    try {
      next.database_up = session.try_run([&](queue::JobStore& store) {
        queue::WorkerBeat beat;
        beat.worker_id = gateway_id_;
        char host[256] = {};
        gethostname(host, sizeof host - 1);
        beat.host = host;
        beat.pid = static_cast<int>(getpid());
        beat.concurrency = 0;
        beat.in_flight = static_cast<int>(held.size());
        beat.lease_ms = kGatewayLeaseMs;
        beat.version = AIW_VERSION;
        store.heartbeat(beat, held);
        pqxx::nontransaction tx(store.connection());
        for (const auto& row : tx.exec("select type, async_enabled, canary_percent from public.aiw_flags"))
          flags[row[0].c_str()] = Flag{row[1].as<bool>(), row[2].as<int>(), "table"};
        for (const auto& row : tx.exec(
                 "select t, count(*) from public.aiw_workers w, unnest(w.types) t "
                 "where w.status = 'running' and w.heartbeat_at > now() - w.lease_ms * interval '1 millisecond' "
                 "group by t")) {
          next.live_workers_by_type[row[0].c_str()] = row[1].as<int>();
        }
        next.live_workers = tx.exec1(
            "select count(*) from public.aiw_workers where status = 'running' and cardinality(types) > 0 "
            "and heartbeat_at > now() - lease_ms * interval '1 millisecond'")[0].as<int>();
        const auto started = std::chrono::steady_clock::now();
        if (started >= depth_due) {
          depth.clear();
          pending_total = 0;
          for (const auto& row : tx.exec(
                   "select type, status, count(*) from public.analysis_jobs "
                   "where status in ('pending', 'processing') group by 1, 2")) {
            depth[row[0].c_str()][row[1].c_str()] = row[2].as<int64_t>();
            if (std::string_view(row[1].c_str()) == "pending") pending_total += row[2].as<int64_t>();
          }
          depth_due = started + kDepthDutyFactor * (std::chrono::steady_clock::now() - started);
        }
        next.depth = depth;
        next.pending_total = pending_total;
      });
    } catch (const std::exception& e) {
      obs::log(obs::LogLevel::kError, "gateway monitor query failed", {{"error", e.what()}});
    }
    update_alerts(next, unix_ms());
    {
      std::lock_guard lock(mu_);
      if (next.database_up) table_flags_ = std::move(flags);
      snapshot_ = std::move(next);
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kTick, [&] { return stop_ || refresh_now_; });
    refresh_now_ = false;
    if (stop_) break;
  }
  // A last beat marking the gateway stopped: its in-process jobs (if any) are reaped at once.
  try {
    session.try_run([&](queue::JobStore& store) {
      queue::WorkerBeat beat;
      beat.worker_id = gateway_id_;
      beat.host = "gateway";
      beat.status = "stopped";
      beat.lease_ms = kGatewayLeaseMs;
      store.heartbeat(beat, {});
    });
  } catch (const std::exception&) {
  }
}

void Monitor::update_alerts(SystemSnapshot& next, int64_t now_ms) {
  std::map<std::string, std::string> firing;
  if (next.database_up) {
    if (next.pending_total > config_.alert_pending_threshold)
      firing["queue_backlog"] = std::to_string(next.pending_total) + " jobs are pending, more than " +
                                std::to_string(config_.alert_pending_threshold) +
                                " (ALERT_PENDING_THRESHOLD); add workers or look for a slow AI service";
    if (next.live_workers > 0) no_worker_since_ms_ = 0;
    else if (no_worker_since_ms_ == 0) no_worker_since_ms_ = now_ms;
    if (no_worker_since_ms_ != 0 && now_ms - no_worker_since_ms_ >= config_.alert_worker_offline_ms)
      firing["no_live_worker"] = "no worker has been alive for " +
                                 std::to_string((now_ms - no_worker_since_ms_) / 1000) +
                                 " s (ALERT_WORKER_OFFLINE_MS); jobs run in the gateway's fallback or wait";
  }
  for (const auto& [name, message] : firing) {
    auto [it, started] = active_alerts_.try_emplace(name, now_ms);
    next.alerts.push_back({name, message, it->second});
    if (started) {
      obs::log(obs::LogLevel::kWarn, "alert firing", {{"alert", name}, {"message", message}});
      send_webhook(next.alerts.back(), false);
    }
  }
  for (auto it = active_alerts_.begin(); it != active_alerts_.end();) {
    if (firing.count(it->first) == 0) {
      obs::log(obs::LogLevel::kInfo, "alert resolved", {{"alert", it->first}});
      send_webhook({it->first, "resolved", it->second}, true);
      it = active_alerts_.erase(it);
    } else {
      ++it;
    }
  }
}

void Monitor::send_webhook(const Alert& alert, bool resolved) {
  if (config_.alert_webhook_url.empty()) return;
  std::string body = R"({"alert":")" + json_escape(alert.name) + R"(","status":")" +
                     (resolved ? "resolved" : "firing") + R"(","message":")" + json_escape(alert.message) +
                     R"(","since_unix_ms":)" + std::to_string(alert.since_unix_ms) + "}";
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, config_.alert_webhook_url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK)
    obs::log(obs::LogLevel::kWarn, "alert webhook failed", {{"error", curl_easy_strerror(rc)}});
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
}

}  // namespace aiw::gateway
