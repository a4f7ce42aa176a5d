#pragma once
// BreakerBoard: the process-wide view of every loop's circuit breakers, for /metrics and
// /health/ready. BreakerGauge: one breaker's published state, written by its loop thread and
// read from the control plane's thread.

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
};

// One reading of a gauge.
struct BreakerReading {
    std::string dependency;
    std::string owner;
    CircuitBreaker::State state = CircuitBreaker::State::Closed;
    uint64_t rejected_total = 0;
    uint64_t failures_total = 0;
    uint64_t transitions_total = 0;
};

// Gauges live as long as the board (the StorageBackend owns it); add() is thread-safe.
class BreakerBoard {
  public:
    BreakerGauge& add(std::string dependency, std::string owner);
    std::vector<BreakerReading> read() const;
    // The worst state of `dependency` across loops (Open > HalfOpen > Closed); Closed if none.
    CircuitBreaker::State worst(const std::string& dependency) const;
    // Prometheus text for every gauge (spoke_breaker_state, *_rejected_total, ...).
    void append_metrics(std::string& out) const;

  private:
    mutable std::mutex mutex_;
    std::deque<BreakerGauge> gauges_;  // deque: add() never moves existing gauges
};

}  // namespace spoke
