#include "server/cluster_shared.hpp"

namespace spoke {

namespace {

RateLimit configured_limit(const Config& config) {
    auto limit = parse_rate_limit(config.rate_limit);
    return limit ? *limit : RateLimit{};
}

}  // namespace

ClusterShared::ClusterShared(const Config& config) : rate_policy(configured_limit(config)) {
    if (config.redis.url.empty()) return;
    auto target = parse_redis_url(config.redis.url);
    if (!target) return;  // refused by load_config already
    RedisSettings settings;
    settings.target = std::move(*target);
    if (!config.redis.password.empty()) settings.target.password = config.redis.password;
    if (config.redis.db) settings.target.db = *config.redis.db;
    settings.timeout = config.redis.timeout;
    redis = std::make_unique<RedisShared>(std::move(settings));
    if (config.cache_enabled) {
        CoherentCacheSettings c;
        c.stale_bound_ms = config.redis.stale_bound.count();
        // Reads may reach a replica that is up to SPOKE_POSTGRES_REPLICA_MAX_LAG behind.
        if (config.storage_type == "postgres" && !config.postgres.replica_urls.empty()) {
            c.replica_hold_ms = config.postgres.replica_max_lag.count();
        }
        coherent = std::make_unique<CoherentCache>(c);
    }
}

void ClusterShared::append_metrics(std::string& out) const {
    rate_counters.append_metrics(out);
    if (redis) redis->append_metrics(out);
    if (coherent) {
        out +=
            "# HELP spoke_coherent_cache_requests_total reads of mutable entries (module, latest, "
            "module pages) from the L1 kept coherent by the invalidation channel\n";
        out += "# TYPE spoke_coherent_cache_requests_total counter\n";
        out += "spoke_coherent_cache_requests_total{tier=\"l1\",result=\"hit\"} " +
               std::to_string(coherent->hits()) + "\n";
        out += "spoke_coherent_cache_requests_total{tier=\"l1\",result=\"miss\"} " +
               std::to_string(coherent->misses()) + "\n";
        out += "# TYPE spoke_coherent_cache_invalidations_total counter\n";
        out += "spoke_coherent_cache_invalidations_total " +
               std::to_string(coherent->invalidations()) + "\n";
        out +=
            "# HELP spoke_shared_cache_requests_total reads of immutable version snapshots from "
            "Redis (tier l2)\n";
        out += "# TYPE spoke_shared_cache_requests_total counter\n";
        out += "spoke_shared_cache_requests_total{tier=\"l2\",result=\"hit\"} " +
               std::to_string(l2_counters.hits.load()) + "\n";
        out += "spoke_shared_cache_requests_total{tier=\"l2\",result=\"miss\"} " +
               std::to_string(l2_counters.misses.load()) + "\n";
        out += "# TYPE spoke_shared_cache_writes_total counter\n";
        out +=
            "spoke_shared_cache_writes_total " + std::to_string(l2_counters.writes.load()) + "\n";
        out += "# TYPE spoke_invalidation_channel_subscribed gauge\n";
        out += std::string("spoke_invalidation_channel_subscribed ") +
               (coherent->subscribed() ? "1" : "0") + "\n";
    }
}

}  // namespace spoke
