#pragma once
// RateLimitPolicy: SPOKE_RATE_LIMIT as the process uses it: a token bucket of `burst` refilled at
// `per_second`, per token (or client address). Reloaded by SIGHUP from the control thread while
// the loops read it, hence the lock.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace spoke {

struct RateLimit {
    double per_second = 0;  // 0: no limit
    double burst = 0;       // bucket depth; at least 1 when limited
    bool enabled() const { return per_second > 0; }
    bool operator==(const RateLimit&) const = default;
};

// "100/s", "6000/m", "100/s:200" (a burst of 200), "0" (off). nullopt when malformed.
std::optional<RateLimit> parse_rate_limit(const std::string& text);
std::string format_rate_limit(const RateLimit& limit);

class RateLimitPolicy {
  public:
    explicit RateLimitPolicy(RateLimit limit) : limit_(limit) {}
    RateLimit get() const {
        std::lock_guard lock(mutex_);
        return limit_;
    }
    void set(RateLimit limit) {
        std::lock_guard lock(mutex_);
        limit_ = limit;
    }

  private:
    mutable std::mutex mutex_;
    RateLimit limit_;  // guarded by mutex_
};

}  // namespace spoke
