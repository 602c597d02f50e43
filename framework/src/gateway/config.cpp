#include "gateway/config.h"

#include <algorithm>
#include <charconv>

namespace aiw::gateway {
namespace {

class Reader {
 public:
  explicit Reader(const worker::Environment& env) : env_(env) {}
  const std::string* find(const char* name) const {
    auto it = env_.find(name);
    return it == env_.end() || it->second.empty() ? nullptr : &it->second;
  }
  template <typename T>
  void integer(const char* name, int64_t min, int64_t max, T& out) {
    const std::string* text = find(name);
    if (text == nullptr) return;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v < min || v > max)
      return fail(std::string(name) + " must be a whole number from " + std::to_string(min) + " to " +
                  std::to_string(max) + ", not '" + *text + "'");
    out = static_cast<T>(v);
  }
  void boolean(const char* name, bool& out) {
    const std::string* text = find(name);
    if (text == nullptr) return;
    std::string v = *text;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "true" || v == "1" || v == "yes" || v == "on") out = true;
    else if (v == "false" || v == "0" || v == "no" || v == "off") out = false;
    else fail(std::string(name) + " must be true or false, not '" + *text + "'");
  }
  void text(const char* name, std::string& out) {
    if (const std::string* t = find(name)) out = *t;
  }
  void fail(std::string sentence) {
    if (error.empty()) error = std::move(sentence);
  }
  std::string error;

 private:
  const worker::Environment& env_;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!part.empty()) out.push_back(part);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// MISSION.md's client-side flags and the job types each one governs.
const std::pair<const char*, std::vector<std::string>> kAsyncFlags[] = {
    {"USE_ASYNC_SOFIA", {"sofia_image", "sofia_text"}},
    {"USE_ASYNC_EXAMS", {"medical_exam"}},
    {"USE_ASYNC_UNIFIED", {"unified_assistant"}},
    {"USE_ASYNC_MEAL_PLAN", {"meal_plan"}},
    {"USE_ASYNC_WHATSAPP", {"whatsapp_message"}},
};

}  // namespace

Result<GatewayConfig> gateway_config_from_environment(const worker::Environment& env) {
  GatewayConfig c;
  Reader r(env);
  r.text("DATABASE_URL", c.database_url);
  if (c.database_url.empty())
    r.fail("DATABASE_URL is not set; give the gateway a PostgreSQL URL (service role or owner)");
  r.text("SUPABASE_JWT_SECRET", c.jwt_secret);
  if (c.jwt_secret.empty())
    r.fail("SUPABASE_JWT_SECRET is not set; copy the project's JWT secret from Supabase (Settings, API)");
  r.integer("PORT", 0, 65535, c.port);
  r.text("GATEWAY_HOST", c.host);
  r.integer("GATEWAY_IO_THREADS", 1, 64, c.io_threads);
  r.integer("GATEWAY_DB_CONNECTIONS", 1, 64, c.db_connections);
  if (const std::string* aud = r.find("SUPABASE_JWT_AUDIENCE")) c.jwt_audience = *aud == "-" ? "" : *aud;
  r.text("PREMIUM_CLAIM", c.premium_claim);
  if (const std::string* v = r.find("PREMIUM_VALUES")) c.premium_values = split(*v, ',');
  r.integer("RATE_LIMIT_PER_MINUTE", 1, 1000000000, c.rate_limit_per_minute);
  r.integer("MAX_ACTIVE_JOBS_PER_USER", 0, 1000000, c.max_active_jobs_per_user);
  r.integer("AI_WORKER_TIMEOUT_MS", 100, 3600000, c.worker_timeout_ms);
  r.integer("AI_WORKER_POLL_INTERVAL_MS", 10, 3600000, c.poll_interval_ms);
  r.integer("GATEWAY_MAX_BODY_BYTES", 1024, int64_t{1} << 30, c.max_body_bytes);
  r.integer("ALERT_PENDING_THRESHOLD", 0, 100000000, c.alert_pending_threshold);
  r.integer("ALERT_WORKER_OFFLINE_MS", 1000, 86400000, c.alert_worker_offline_ms);
  r.text("ALERT_WEBHOOK_URL", c.alert_webhook_url);
  r.boolean("TRUST_X_FORWARDED_FOR", c.trust_forwarded_for);
  r.boolean("GATEWAY_ASYNC_DEFAULT", c.async_default);
  for (const auto& [name, types] : kAsyncFlags) {
    if (r.find(name) == nullptr) continue;
    bool on = false;
    r.boolean(name, on);
    for (const std::string& t : types) c.async_defaults[t] = on;
  }
  r.boolean("ENABLE_CACHE", c.enable_cache);
  r.integer("CACHE_TTL_HOURS", 1, 87600, c.cache_ttl_hours);
  if (const std::string* dirs = r.find("PIPELINES_DIR")) c.pipelines = split(*dirs, ':');
  if (!r.error.empty()) return Status::error(r.error);
  return c;
}

}  // namespace aiw::gateway
