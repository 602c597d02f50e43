#include "gateway/rate_limiter.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace aiw::gateway {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

int64_t to_ns(RateLimiter::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

Status validate(const RateLimitConfig& config) {
  if (config.requests < 1) return Status::error("the rate limit must allow at least 1 request");
  // Below a millisecond per request the integer interval would round the rate noticeably.
  if (config.period < std::chrono::milliseconds(config.requests)) {
    return Status::error("the rate limit period must be at least 1 ms per allowed request");
  }
  if (config.max_keys < 1) return Status::error("the rate limiter must remember at least 1 key");
  return Status();
}

RateLimiter::RateLimiter(RateLimitConfig config)
    : requests_(std::max<int64_t>(1, config.requests)),
      interval_ns_(std::max<int64_t>(1, config.period.count() / requests_)),
      limit_ns_(std::max<int64_t>(0, config.period.count() - interval_ns_)),
      shard_capacity_(std::max<size_t>(1, config.max_keys / kShards)) {}

RateDecision RateLimiter::check(std::string_view key, Clock::time_point now) {
  const int64_t now_ns = to_ns(now);
  Shard& shard = shards_[Hash{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.tat_ns.find(key);
  if (it == shard.tat_ns.end()) {
    if (shard.tat_ns.size() >= shard_capacity_) make_room(shard, now_ns);
    it = shard.tat_ns.emplace(std::string(key), now_ns).first;
  }
  const int64_t tat = std::max(it->second, now_ns);
  const int64_t ahead = tat - now_ns;  // how much of the bucket is in use
  RateDecision decision;
  if (ahead > limit_ns_) {
    // The next request fits once TAT has drawn back to now + limit.
    const int64_t wait_ns = ahead - limit_ns_;
    decision.retry_after_seconds =
        std::max<int64_t>(1, (wait_ns + kNsPerSecond - 1) / kNsPerSecond);
    return decision;
  }
  it->second = tat + interval_ns_;
  decision.allowed = true;
  // Further requests that fit now: each takes one interval of what is left under the limit.
  const int64_t room = limit_ns_ - ahead - interval_ns_;
  decision.remaining = room < 0 ? 0 : room / interval_ns_ + 1;
  return decision;
}

// Called with the shard locked and full. Leaves it at most 7/8 full, so the O(n) pass runs at
// most once per capacity/8 new keys.
void RateLimiter::make_room(Shard& shard, int64_t now_ns) {
  std::erase_if(shard.tat_ns, [now_ns](const auto& entry) { return entry.second <= now_ns; });
  const size_t target = shard_capacity_ * 7 / 8;
  if (shard.tat_ns.size() <= target) return;
  std::vector<std::pair<int64_t, std::string>> by_expiry;
  by_expiry.reserve(shard.tat_ns.size());
  for (const auto& [key, tat] : shard.tat_ns) by_expiry.emplace_back(tat, key);
  const size_t excess = by_expiry.size() - target;
  std::nth_element(by_expiry.begin(), by_expiry.begin() + static_cast<ptrdiff_t>(excess - 1),
                   by_expiry.end());
  for (size_t i = 0; i < excess; ++i) shard.tat_ns.erase(by_expiry[i].second);
}

size_t RateLimiter::sweep(Clock::time_point now) {
  const int64_t now_ns = to_ns(now);
  size_t dropped = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    dropped +=
        std::erase_if(shard.tat_ns, [now_ns](const auto& entry) { return entry.second <= now_ns; });
  }
  return dropped;
}

size_t RateLimiter::size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.tat_ns.size();
  }
  return total;
}

}  // namespace aiw::gateway
