#include "backends/redis/redis_shared.hpp"

#include "reactor/log.hpp"

namespace spoke {

void RedisShared::record_command(int64_t latency_us, bool ok) {
    commands_.fetch_add(1, std::memory_order_relaxed);
    if (!ok) {
        errors_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    latency_sum_us_.fetch_add(static_cast<uint64_t>(latency_us), std::memory_order_relaxed);
    size_t b = 0;
    while (b < kBucketsUs.size() && latency_us > kBucketsUs[b]) ++b;
    buckets_[b].fetch_add(1, std::memory_order_relaxed);
}

void RedisShared::connection_up(const std::string& address) {
    connections_up_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(log_mutex_);
    if (!master_.empty() && master_ != address) {
        failovers_seen_.fetch_add(1, std::memory_order_relaxed);
        Log::write(LogLevel::Warn, "redis master changed",
                   {{"from", std::string_view(master_)}, {"to", std::string_view(address)}});
    }
    master_ = address;
    if (!logged_up_) {
        logged_up_ = true;
        Log::write(LogLevel::Info, "redis up", {{"address", std::string_view(address)}});
    }
}

void RedisShared::connection_down(const std::string& reason) {
    connections_up_.fetch_sub(1, std::memory_order_relaxed);
    std::lock_guard lock(log_mutex_);
    if (logged_up_) {
        logged_up_ = false;
        Log::write(LogLevel::Warn, "redis down; the cache fails open",
                   {{"reason", std::string_view(reason)}});
    }
}

void RedisShared::append_metrics(std::string& out) const {
    auto line = [&out](const char* text, uint64_t value) {
        out += text;
        out += ' ';
        out += std::to_string(value);
        out += '\n';
    };
    out +=
        "# HELP spoke_redis_commands_total Redis commands sent (cache, invalidation, rate "
        "limits).\n";
    out += "# TYPE spoke_redis_commands_total counter\n";
    line("spoke_redis_commands_total", commands_.load(std::memory_order_relaxed));
    out += "# HELP spoke_redis_errors_total Redis commands that failed or timed out.\n";
    out += "# TYPE spoke_redis_errors_total counter\n";
    line("spoke_redis_errors_total", errors_.load(std::memory_order_relaxed));
    out += "# HELP spoke_redis_rejected_total commands not sent because no connection was ready\n";
    out += "# TYPE spoke_redis_rejected_total counter\n";
    line("spoke_redis_rejected_total", rejected_.load(std::memory_order_relaxed));
    out += "# HELP spoke_redis_connect_failures_total Redis connection attempts that failed.\n";
    out += "# TYPE spoke_redis_connect_failures_total counter\n";
    line("spoke_redis_connect_failures_total", connect_failures_.load(std::memory_order_relaxed));
    out +=
        "# HELP spoke_redis_connections_up Redis connections up (one per loop, plus the "
        "subscriber).\n";
    out += "# TYPE spoke_redis_connections_up gauge\n";
    line("spoke_redis_connections_up", static_cast<uint64_t>(std::max<int64_t>(
                                           0, connections_up_.load(std::memory_order_relaxed))));
    out += "# HELP spoke_redis_failovers_seen_total times a connection came up on another master\n";
    out += "# TYPE spoke_redis_failovers_seen_total counter\n";
    line("spoke_redis_failovers_seen_total", failovers_seen_.load(std::memory_order_relaxed));
    out += "# HELP spoke_redis_command_duration_seconds Redis command round trips.\n";
    out += "# TYPE spoke_redis_command_duration_seconds histogram\n";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBucketsUs.size(); ++b) {
        cumulative += buckets_[b].load(std::memory_order_relaxed);
        out += "spoke_redis_command_duration_seconds_bucket{le=\"";
        out += b < kBucketsUs.size() ? std::to_string(static_cast<double>(kBucketsUs[b]) / 1e6)
                                     : "+Inf";
        out += "\"} " + std::to_string(cumulative) + "\n";
    }
    out +=
        "spoke_redis_command_duration_seconds_sum " +
        std::to_string(static_cast<double>(latency_sum_us_.load(std::memory_order_relaxed)) / 1e6) +
        "\n";
    out += "spoke_redis_command_duration_seconds_count " + std::to_string(cumulative) + "\n";
}

}  // namespace spoke
