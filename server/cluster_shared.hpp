#pragma once
// ClusterShared: the process side of what the instances of one registry share through Redis:
// the Redis settings and counters, the coherent L1 of mutable reads, and the rate-limit policy
// with this instance's own buckets (used while Redis is unreachable, or without Redis).

#include <memory>

#include "backends/cache/coherent_cache.hpp"
#include "backends/cache/redis_shared_cache.hpp"
#include "backends/redis/redis_shared.hpp"
#include "server/config.hpp"
#include "services/rate_limit/rate_limiter.hpp"

namespace spoke {

struct ClusterShared {
    // `config` has been validated (the Redis URL and the rate limit parse).
    explicit ClusterShared(const Config& config);

    std::unique_ptr<RedisShared> redis;       // null without SPOKE_REDIS_URL
    std::unique_ptr<CoherentCache> coherent;  // null without Redis: nothing mutable is cached
    RateLimitPolicy rate_policy;
    LocalBuckets local_buckets{100'000};
    RateCounters rate_counters;
    SharedCacheCounters l2_counters;

    void append_metrics(std::string& out) const;
};

}  // namespace spoke
