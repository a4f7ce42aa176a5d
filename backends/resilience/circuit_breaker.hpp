#pragma once
// CircuitBreaker: stops calling a failing dependency for a while, then probes it before trusting it
// again. BreakerPolicy holds its thresholds; Admission is its answer to "may I call now?".

#include <cstdint>
#include <functional>
#include <string>

namespace spoke {

struct BreakerGauge;

// Monotonic time in milliseconds. Injected so tests drive time; production uses steady_clock_ms.
using MonotonicClock = std::function<int64_t()>;
int64_t steady_clock_ms();

// Thresholds of one breaker (issue 3 defaults).
struct BreakerPolicy {
    int failure_threshold = 5;          // consecutive failures that open a closed breaker
    int64_t open_duration_ms = 60'000;  // how long Open rejects before probing
    int half_open_max_probes = 1;       // probes in flight at a time while HalfOpen
    int success_threshold = 2;          // consecutive probe successes that close it
    // Retry-After hint when HalfOpen has no free probe slot: the probe in flight decides soon.
    int64_t probe_busy_retry_after_ms = 1'000;
};

// Whether one call may go to the dependency; when not, how long until asking again makes sense.
struct Admission {
    bool allowed = false;
    bool probe = false;          // admitted through a HalfOpen probe slot
    int64_t retry_after_ms = 0;  // > 0 only when rejected
    uint64_t epoch = 0;          // the breaker state it was admitted in (see record_*)
    int64_t admitted_us = 0;     // monotonic_us() at admission: the call's latency for /metrics
};

// Monotonic counters, for /metrics.
struct BreakerCounters {
    uint64_t rejected_total = 0;
    uint64_t failures_total = 0;
    uint64_t transitions_total = 0;
};

// One breaker per dependency ("postgres_primary", "s3", ...). Not thread-safe: it lives on one
// loop thread, like the Storage that owns it.
//
// Usage: call admit() before each call; if allowed, report its outcome exactly once with
// record_success(admission) or record_failure(admission). Report only *dependency* failures:
// timeouts, 5xx, connect errors. A 4xx (or NotFound, VersionExists, ...) means the dependency
// answered correctly: report it as a success. A rejected call never reached the dependency: report
// nothing.
//
// An outcome counts for the state only if its call was admitted in the current state (the
// admission's epoch): a slow call admitted while Closed that ends during a HalfOpen probe must not
// pass for the probe's result. Stale failures still count in failures_total.
class CircuitBreaker {
  public:
    enum class State { Closed, Open, HalfOpen };

    CircuitBreaker(std::string name, BreakerPolicy policy = {},
                   MonotonicClock clock = steady_clock_ms);

    // Closed: allowed. Open: rejected with the time left, or, once the open period is over, moves
    // to HalfOpen and takes a probe slot. HalfOpen: allowed while a probe slot is free.
    Admission admit();
    void record_success(const Admission& admission);
    void record_failure(const Admission& admission);

    // The current state; an Open breaker whose period is over reports HalfOpen.
    State state();
    const std::string& name() const { return name_; }
    const BreakerPolicy& policy() const { return policy_; }
    const BreakerCounters& counters() const { return counters_; }
    static const char* state_name(State state);

    // Mirrors state and counters into `gauge` (read by /metrics) after every change; the gauge
    // must outlive the breaker.
    void publish_to(BreakerGauge* gauge);
    BreakerGauge* gauge() const { return gauge_; }
    // Out-of-band evidence that the dependency is back (a fresh connection succeeded): an Open
    // breaker moves to HalfOpen at once instead of waiting out its period. No-op otherwise.
    void probe_now();

  private:
    void publish();
    // Counts a finished call and its latency in the gauge.
    void publish_call(const Admission& admission, bool ok);

    // Moves Open -> HalfOpen when the open period has passed.
    void expire_open_period(int64_t now);
    // The only place the state changes: resets per-state bookkeeping, logs and counts.
    void transition(State to, int64_t now);

    std::string name_;
    BreakerPolicy policy_;
    MonotonicClock clock_;
    State state_ = State::Closed;
    BreakerCounters counters_;
    int consecutive_failures_ = 0;   // Closed
    int64_t open_until_ms_ = 0;      // Open
    int probes_in_flight_ = 0;       // HalfOpen
    int consecutive_successes_ = 0;  // HalfOpen
    uint64_t epoch_ = 0;             // bumped by every transition
    BreakerGauge* gauge_ = nullptr;
};

}  // namespace spoke
