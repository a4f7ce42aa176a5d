#pragma once
// ReadinessReport: one evaluation of the readiness checks (storage, its dependencies, Redis) and
// what it means, so /health/ready and /metrics (spoke_ready, spoke_dependency_up) never disagree.

#include <optional>
#include <string>
#include <vector>

#include "backends/cache/invalidation_subscriber.hpp"
#include "backends/storage.hpp"
#include "common/result.hpp"

namespace spoke {

struct ReadinessReport {
    std::vector<StorageCheck> checks;  // Redis included, never required
    bool draining = false;

    // `redis`: the invalidation channel's health, absent without Redis.
    static ReadinessReport evaluate(const Result<std::vector<StorageCheck>>& storage,
                                    const std::optional<InvalidationSubscriber::Health>& redis,
                                    bool draining);

    // Every required check is up and the server is not draining: 200 on /health/ready.
    bool ready() const;
    // "ready", "degraded" (an optional dependency is down), "not_ready" or "draining".
    const char* status() const;
    // The /health/ready body.
    std::string json() const;
    // spoke_ready and spoke_dependency_up{dependency,required}.
    void append_metrics(std::string& out) const;
};

}  // namespace spoke
