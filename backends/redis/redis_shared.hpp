#pragma once
// RedisShared: what every Redis client of the process shares: the target and settings, and the
// counters /metrics reads. It also logs the instance's Redis state changes once each (up, down,
// master changed), however many loops hold a connection.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "backends/redis/redis_target.hpp"

namespace spoke {

struct RedisSettings {
    RedisTarget target;
    std::chrono::milliseconds timeout{200};  // SPOKE_REDIS_TIMEOUT: per command and per connect
};

class RedisShared {
  public:
    explicit RedisShared(RedisSettings settings) : settings_(std::move(settings)) {}

    const RedisSettings& settings() const { return settings_; }

    // Any thread. Counts one command's outcome: `ok` false for a timeout or a lost connection.
    void record_command(int64_t latency_us, bool ok);
    void record_rejected() { rejected_.fetch_add(1, std::memory_order_relaxed); }
    // A connection became ready to `address` ("ip:port"); logs "redis up" and, when the master
    // moved, "redis master changed" once for the process.
    void connection_up(const std::string& address);
    // A ready connection ended; the first loss after "up" logs "redis down".
    void connection_down(const std::string& reason);
    void connect_failed() { connect_failures_.fetch_add(1, std::memory_order_relaxed); }

    void append_metrics(std::string& out) const;

  private:
    static constexpr std::array<int64_t, 10> kBucketsUs{100,   250,    500,    1'000,   2'500,
                                                        5'000, 10'000, 25'000, 100'000, 250'000};
    const RedisSettings settings_;
    std::atomic<uint64_t> commands_{0};
    std::atomic<uint64_t> errors_{0};
    std::atomic<uint64_t> rejected_{0};
    std::atomic<uint64_t> connect_failures_{0};
    std::atomic<uint64_t> latency_sum_us_{0};
    std::array<std::atomic<uint64_t>, kBucketsUs.size() + 1> buckets_{};
    std::atomic<int64_t> connections_up_{0};
    std::atomic<uint64_t> failovers_seen_{0};

    std::mutex log_mutex_;
    bool logged_up_ = false;  // guarded by log_mutex_
    std::string master_;      // guarded by log_mutex_: the last address a connection was ready on
};

}  // namespace spoke
