#pragma once
// RedisSharedCache: the SharedCache of one loop on its RedisClient, entries living
// SPOKE_CACHE_TTL, with the process-wide hit and miss counters /metrics shows as tier "l2".

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "backends/cache/shared_cache.hpp"

namespace spoke {

class RedisClient;

struct SharedCacheCounters {
    std::atomic<uint64_t> hits{0}, misses{0}, writes{0};
    // Values larger than this are not stored (one big value would slow every loop's connection).
    static constexpr size_t kMaxValueBytes = 4u << 20;
};

class RedisSharedCache final : public SharedCache {
  public:
    RedisSharedCache(RedisClient& redis, std::chrono::milliseconds ttl,
                     SharedCacheCounters& counters)
        : redis_(redis), ttl_ms_(std::to_string(ttl.count())), counters_(counters) {}

    void get(const std::string& key, Callback<void(std::optional<std::string>)> done) override;
    void put(const std::string& key, std::string value) override;

  private:
    RedisClient& redis_;
    const std::string ttl_ms_;
    SharedCacheCounters& counters_;
};

}  // namespace spoke
