#pragma once
// BreakerBoard: the process-wide view of every loop's circuit breakers, for /metrics and
// /health/ready. BreakerGauge: one breaker's published state, the calls it let through and (for a
// PostgreSQL endpoint) its loop's pool, written by its loop thread and read from the control
// plane's thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "backends/resilience/circuit_breaker.hpp"

namespace spoke {

// Written only by the owning loop (through CircuitBreaker::publish_to); read from any thread.
struct BreakerGauge {
    std::string dependency;     // "postgres_primary", "postgres_replica_0", "s3"
    std::string owner;          // "loop0", "loop1", "health": which loop's breaker this is
    std::atomic<int> state{0};  // CircuitBreaker::State as int
    std::atomic<uint64_t> rejected_total{0};
    std::atomic<uint64_t> failures_total{0};
    std::atomic<uint64_t> transitions_total{0};

    // Calls admitted and finished, by outcome (error: the dependency failed or timed out), and
    // their latency from admission (a pool wait included) in kCallBuckets.
    static constexpr std::array<double, 12> kCallBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                         0.05,   0.1,   0.25,   0.5,   1,    5};
    std::atomic<uint64_t> calls_ok{0};
    std::atomic<uint64_t> calls_error{0};
    std::array<std::atomic<uint64_t>, kCallBuckets.size() + 1> call_buckets{};
    std::atomic<uint64_t> call_ns_sum{0};
    void record_call(bool ok, int64_t duration_ns);

    // A PostgreSQL endpoint's pool on this loop; pool_max 0: not a pool (S3).
    std::atomic<uint64_t> pool_max{0};
    std::atomic<uint64_t> pool_open{0};
    std::atomic<uint64_t> pool_busy{0};
    std::atomic<uint64_t> pool_connecting{0};
    std::atomic<uint64_t> pool_waiting{0};
    // A replica's replay lag at its last probe; -1: not a replica, or never measured.
    std::atomic<int64_t> replica_lag_ms{-1};
};

// One reading of a gauge.
struct BreakerReading {
    std::string dependency;
    std::string owner;
    CircuitBreaker::State state = CircuitBreaker::State::Closed;
    uint64_t rejected_total = 0;
    uint64_t failures_total = 0;
    uint64_t transitions_total = 0;
    uint64_t calls_ok = 0;
    uint64_t calls_error = 0;
    std::array<uint64_t, BreakerGauge::kCallBuckets.size() + 1> call_buckets{};
    uint64_t call_ns_sum = 0;
    uint64_t pool_max = 0, pool_open = 0, pool_busy = 0, pool_connecting = 0, pool_waiting = 0;
    int64_t replica_lag_ms = -1;
};

// Gauges live as long as the board (the StorageBackend owns it); add() is thread-safe.
class BreakerBoard {
  public:
    BreakerGauge& add(std::string dependency, std::string owner);
    std::vector<BreakerReading> read() const;
    // The worst state of `dependency` across loops (Open > HalfOpen > Closed); Closed if none.
    CircuitBreaker::State worst(const std::string& dependency) const;
    // Prometheus text for every gauge (spoke_breaker_state, *_rejected_total, ...), the calls per
    // dependency (spoke_dependency_*) and the PostgreSQL pools (spoke_postgres_pool_*).
    void append_metrics(std::string& out) const;

  private:
    mutable std::mutex mutex_;
    std::deque<BreakerGauge> gauges_;  // deque: add() never moves existing gauges
};

}  // namespace spoke
