#include "worker/config.h"

#include "common/path_list.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

extern char** environ;

namespace aiw::worker {
namespace {

// Each reader leaves the default when the variable is unset or empty.
class Reader {
 public:
  explicit Reader(const Environment& env) : env_(env) {}

  void integer(const char* name, int64_t min, int64_t max, int64_t& out) {
    const std::string* text = find(name);
    if (text == nullptr) return;
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
      fail(std::string(name) + " must be a whole number from " + std::to_string(min) + " to " +
           std::to_string(max) + ", not '" + *text + "'");
      return;
    }
    out = value;
  }
  void integer(const char* name, int min, int max, int& out) {
    int64_t wide = out;
    integer(name, min, static_cast<int64_t>(max), wide);
    out = static_cast<int>(wide);
  }
  void boolean(const char* name, bool& out) {
    const std::string* text = find(name);
    if (text == nullptr) return;
    std::string v = *text;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "true" || v == "1" || v == "yes" || v == "on") {
      out = true;
    } else if (v == "false" || v == "0" || v == "no" || v == "off") {
      out = false;
    } else {
      fail(std::string(name) + " must be true or false, not '" + *text + "'");
    }
  }
  void text(const char* name, std::string& out) {
    if (const std::string* t = find(name)) out = *t;
  }
  void fail(std::string sentence) {
    if (error_.empty()) error_ = std::move(sentence);
  }
  const std::string& error() const { return error_; }

 private:
  const std::string* find(const char* name) const {
    auto it = env_.find(name);
    if (it == env_.end() || it->second.empty()) return nullptr;
    return &it->second;
  }
  const Environment& env_;
  std::string error_;
};

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "worker";
  return name;
}

}  // namespace

int WorkerConfig::effective_claim_batch() const {
  return claim_batch > 0 ? claim_batch : std::min(concurrency, 500);
}

Environment process_environment() {
  Environment env;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq != nullptr) env.emplace(std::string(*e, static_cast<size_t>(eq - *e)), std::string(eq + 1));
  }
  return env;
}

Result<WorkerConfig> config_from_environment(const Environment& env) {
  WorkerConfig c;
  Reader r(env);
  r.text("DATABASE_URL", c.database_url);
  if (c.database_url.empty())
    r.fail("DATABASE_URL is not set; give the worker a PostgreSQL URL, e.g. "
           "postgresql://postgres@127.0.0.1:5432/postgres");
  r.integer("PORT", 0, 65535, c.port);
  r.text("WORKER_ID", c.worker_id);
  if (c.worker_id.empty()) c.worker_id = host_name();
  r.integer("WORKER_CONCURRENCY", 1, 100000, c.concurrency);
  r.integer("WORKER_POLL_INTERVAL_MS", int64_t{10}, int64_t{3600000}, c.poll_interval_ms);
  r.integer("WORKER_MAX_RETRIES", 1, 100, c.max_retries);
  r.integer("WORKER_RETRY_DELAY_MS", int64_t{0}, int64_t{86400000}, c.retry_delay_ms);
  r.integer("WORKER_RETRY_MAX_DELAY_MS", int64_t{0}, int64_t{86400000}, c.retry_max_delay_ms);
  r.integer("WORKER_STUCK_JOB_TIMEOUT_MS", int64_t{100}, int64_t{86400000}, c.stuck_job_timeout_ms);
  r.integer("WORKER_HEARTBEAT_INTERVAL_MS", int64_t{10}, int64_t{600000}, c.heartbeat_interval_ms);
  r.integer("WORKER_LEASE_MS", int64_t{100}, int64_t{3600000}, c.lease_ms);
  r.integer("WORKER_DRAIN_TIMEOUT_MS", int64_t{0}, int64_t{3600000}, c.drain_timeout_ms);
  r.integer("WORKER_CLAIM_BATCH", 0, 10000, c.claim_batch);
  int64_t retention_days = 7;
  r.integer("WORKER_RETENTION_DAYS", int64_t{1}, int64_t{3650}, retention_days);
  c.retention_ms = retention_days * 24 * 3600 * 1000;
  r.boolean("ENABLE_CACHE", c.enable_cache);
  r.integer("CACHE_TTL_HOURS", int64_t{1}, int64_t{87600}, c.cache_ttl_hours);
  r.boolean("ENABLE_METRICS", c.enable_metrics);
  r.text("LOG_LEVEL", c.log_level);
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error")
    r.fail("LOG_LEVEL must be one of debug, info, warn, error, not '" + c.log_level + "'");
  std::string dirs;
  r.text("PIPELINES_DIR", dirs);
  c.pipelines = split_path_list(dirs);
  if (c.heartbeat_interval_ms * 2 > c.lease_ms)
    r.fail("WORKER_HEARTBEAT_INTERVAL_MS (" + std::to_string(c.heartbeat_interval_ms) +
           ") must be at most half of WORKER_LEASE_MS (" + std::to_string(c.lease_ms) +
           "), or a healthy worker would be taken for dead");
  if (!r.error().empty()) return Status::error(r.error());
  return c;
}

}  // namespace aiw::worker
