#include "backends/cache/redis_shared_cache.hpp"

#include "backends/redis/redis_client.hpp"

namespace spoke {

void RedisSharedCache::get(const std::string& key,
                           Callback<void(std::optional<std::string>)> done) {
    redis_.command({"GET", key}, [&counters = counters_,
                                  done = std::move(done)](Result<RedisReply> reply) mutable {
        if (reply && reply->type == RedisReply::Type::String) {
            counters.hits.fetch_add(1, std::memory_order_relaxed);
            return done(std::move(reply->str));
        }
        counters.misses.fetch_add(1, std::memory_order_relaxed);
        done(std::nullopt);
    });
}

void RedisSharedCache::put(const std::string& key, std::string value) {
    if (value.size() > SharedCacheCounters::kMaxValueBytes || !redis_.ready()) return;
    counters_.writes.fetch_add(1, std::memory_order_relaxed);
    redis_.command({"SET", key, std::move(value), "PX", ttl_ms_}, [](Result<RedisReply>) {});
}

}  // namespace spoke
