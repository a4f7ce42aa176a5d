#pragma once
// RateLimiter: this loop's check of one request against its client's token bucket. The bucket
// lives in Redis, shared by every instance, and is updated atomically by one Lua script
// (EVALSHA; Redis' own clock, so instances with skewed clocks agree). When Redis is not
// connected or does not answer in time, the process's LocalBuckets decide instead: each instance
// then enforces the limit on its own.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "reactor/callback.hpp"
#include "reactor/lifetime.hpp"
#include "services/rate_limit/rate_limit_policy.hpp"

namespace spoke {

class RedisClient;

struct RateDecision {
    bool allowed = true;
    int64_t limit = 0;           // the burst: X-RateLimit-Limit
    int64_t remaining = 0;       // whole tokens left: X-RateLimit-Remaining
    int64_t reset_seconds = 0;   // until the bucket is full again: X-RateLimit-Reset
    int64_t retry_after_ms = 0;  // when refused: until one token is back
    bool shared = false;         // decided by Redis (false: by this instance alone)
};

// RateCounters: decisions for /metrics, process-wide.
struct RateCounters {
    std::atomic<uint64_t> allowed_shared{0}, limited_shared{0}, allowed_local{0}, limited_local{0};
    void count(const RateDecision& d);
    void append_metrics(std::string& out) const;
};

// LocalBuckets: the per-instance buckets, bounded by `max_keys` (past it, all are forgotten).
class LocalBuckets {
  public:
    explicit LocalBuckets(size_t max_keys) : max_keys_(max_keys) {}
    RateDecision take(const std::string& key, const RateLimit& limit, int64_t now_ms);

  private:
    struct Bucket {
        double tokens = 0;
        int64_t updated_ms = 0;
    };
    const size_t max_keys_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;  // guarded by mutex_
};

class RateLimiter {
  public:
    // All named outlive the limiter; `redis` may be null (no shared buckets).
    RateLimiter(const RateLimitPolicy& policy, LocalBuckets& local, RateCounters& counters,
                RedisClient* redis);

    bool enabled() const { return policy_.get().enabled(); }
    // Takes one token for `key` ("t:<token id>" or "a:<address>"). `done` runs exactly once,
    // possibly inside this call (when decided locally).
    void check(const std::string& key, Callback<void(RateDecision)> done);

  private:
    void decide_locally(const std::string& key, const RateLimit& limit,
                        Callback<void(RateDecision)>& done);

    const RateLimitPolicy& policy_;
    LocalBuckets& local_;
    RateCounters& counters_;
    RedisClient* redis_;
    Lifetime lifetime_;  // last: ends first
};

}  // namespace spoke
