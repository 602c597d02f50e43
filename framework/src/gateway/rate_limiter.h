// Per-client request limit for the gateway (MISSION.md: 50 requests/min per IP).
//
// Algorithm: GCRA (the generic cell rate algorithm, i.e. a leaky bucket kept as one number).
// Each key stores only its "theoretical arrival time" (TAT): the instant its bucket would be
// empty again. A request at `now` is allowed when TAT - now <= period - interval, where
// interval = period / requests, and then moves TAT to max(TAT, now) + interval. So a fresh
// client may send `requests` at once, after which one more becomes available every `interval`
// (1.2 s at 50/min); the long-run rate never exceeds requests/period.
// Why GCRA: one int64 per key, O(1) with no timer, exact Retry-After (when TAT - now falls back
// under the limit), and smooth recovery instead of a fixed window's reset at the minute. The
// cost: a client that bursts and then paces at the refill rate gets up to 2 x requests - 1
// through in its first period, the same bound as a fixed-window counter. A sliding log would be
// exact but needs `requests` timestamps per key.
//
// Concurrency: keys are spread over 64 shards, each a hash map under its own mutex, so threads
// serving different clients rarely meet; a decision holds one lock for one map operation.
// Memory: an entry whose TAT is in the past says nothing a fresh key would not, so it can be
// dropped at any time. A shard that reaches its share of max_keys drops those; if it is still
// above 7/8 of its share (more live clients than the bound), it drops the entries nearest to
// expiry, which lets those few clients burst again rather than let memory grow without end.
//
//   RateLimiter limiter;                               // 50 per 60 s, 100k keys
//   RateDecision d = limiter.check(peer_ip, std::chrono::steady_clock::now());
//   if (!d.allowed) return respond_429(d.retry_after_seconds);
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace aiw::gateway {

struct RateLimitConfig {
  int64_t requests = 50;  // allowed per period, and the burst size
  std::chrono::nanoseconds period = std::chrono::seconds(60);
  size_t max_keys = 100'000;  // bound on remembered clients
};

// Ok, or a sentence saying which field is out of range.
Status validate(const RateLimitConfig& config);

struct RateDecision {
  bool allowed = false;
  int64_t retry_after_seconds = 0;  // when denied: >= 1, for the Retry-After header
  int64_t remaining = 0;            // requests still allowed right now (RateLimit-Remaining)
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // config should pass validate(); out-of-range fields are clamped to 1 rather than trusted.
  explicit RateLimiter(RateLimitConfig config = {});
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Counts one request of key (an IPv4 or IPv6 address text) at now, and says whether it may
  // proceed. Thread-safe. Tests pass their own time points; nothing here reads a clock.
  RateDecision check(std::string_view key, Clock::time_point now);

  // Drops every entry that has expired at now (the limiter also does this by itself when a
  // shard fills). Returns how many were dropped.
  size_t sweep(Clock::time_point now);

  // Entries currently remembered (for tests and a metrics gauge).
  size_t size() const;

 private:
  static constexpr size_t kShards = 64;

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> tat_ns;  // key -> TAT
  };

  void make_room(Shard& shard, int64_t now_ns);

  int64_t requests_;
  int64_t interval_ns_;
  int64_t limit_ns_;  // period - interval: how far ahead of now TAT may run
  size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace aiw::gateway
