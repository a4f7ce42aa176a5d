#include "backends/resilience/circuit_breaker.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>

#include "backends/resilience/breaker_board.hpp"
#include "common/clock.hpp"
#include "reactor/log.hpp"

namespace spoke {

int64_t steady_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

CircuitBreaker::CircuitBreaker(std::string name, BreakerPolicy policy, MonotonicClock clock)
    : name_(std::move(name)), policy_(policy), clock_(std::move(clock)) {
    // A zero or negative threshold would open on nothing or never admit a probe.
    policy_.failure_threshold = std::max(policy_.failure_threshold, 1);
    policy_.half_open_max_probes = std::max(policy_.half_open_max_probes, 1);
    policy_.success_threshold = std::max(policy_.success_threshold, 1);
    policy_.open_duration_ms = std::max<int64_t>(policy_.open_duration_ms, 0);
    policy_.probe_busy_retry_after_ms = std::max<int64_t>(policy_.probe_busy_retry_after_ms, 1);
}

const char* CircuitBreaker::state_name(State state) {
    switch (state) {
        case State::Closed:
            return "closed";
        case State::Open:
            return "open";
        case State::HalfOpen:
            return "half_open";
    }
    return "unknown";
}

void CircuitBreaker::expire_open_period(int64_t now) {
    if (state_ == State::Open && now >= open_until_ms_) transition(State::HalfOpen, now);
}

CircuitBreaker::State CircuitBreaker::state() {
    expire_open_period(clock_());
    return state_;
}

Admission CircuitBreaker::admit() {
    int64_t now = clock_();
    expire_open_period(now);
    switch (state_) {
        case State::Closed:
            return {.allowed = true,
                    .probe = false,
                    .retry_after_ms = 0,
                    .epoch = epoch_,
                    .admitted_us = monotonic_us()};
        case State::Open:
            ++counters_.rejected_total;
            publish();
            return {.allowed = false,
                    .probe = false,
                    .retry_after_ms = open_until_ms_ - now,
                    .epoch = epoch_};
        case State::HalfOpen:
            if (probes_in_flight_ < policy_.half_open_max_probes) {
                ++probes_in_flight_;
                return {.allowed = true,
                        .probe = true,
                        .retry_after_ms = 0,
                        .epoch = epoch_,
                        .admitted_us = monotonic_us()};
            }
            ++counters_.rejected_total;
            publish();
            return {.allowed = false,
                    .probe = false,
                    .retry_after_ms = policy_.probe_busy_retry_after_ms,
                    .epoch = epoch_};
    }
    return {};
}

void CircuitBreaker::record_success(const Admission& admission) {
    publish_call(admission, true);
    if (!admission.allowed || admission.epoch != epoch_) return;  // stale: from an earlier state
    const int64_t now = clock_();
    switch (state_) {
        case State::Closed:
            consecutive_failures_ = 0;
            return;
        case State::Open:
            return;
        case State::HalfOpen:
            if (!admission.probe) return;
            --probes_in_flight_;
            if (++consecutive_successes_ >= policy_.success_threshold) {
                transition(State::Closed, now);
            }
            return;
    }
}

void CircuitBreaker::record_failure(const Admission& admission) {
    if (!admission.allowed) return;
    publish_call(admission, false);
    ++counters_.failures_total;
    publish();
    if (admission.epoch != epoch_) return;  // stale: from an earlier state
    const int64_t now = clock_();
    switch (state_) {
        case State::Closed:
            if (++consecutive_failures_ >= policy_.failure_threshold) transition(State::Open, now);
            return;
        case State::Open:
            return;  // already open; extending the period would starve the probes
        case State::HalfOpen:
            if (!admission.probe) return;
            transition(State::Open, now);
            return;
    }
}

void CircuitBreaker::transition(State to, int64_t now) {
    State from = state_;
    if (from == to) return;
    state_ = to;
    ++epoch_;
    consecutive_failures_ = 0;
    consecutive_successes_ = 0;
    probes_in_flight_ =
        0;  // probes still in flight carry the old epoch: their outcomes are ignored
    if (to == State::Open) open_until_ms_ = now + policy_.open_duration_ms;
    ++counters_.transitions_total;
    publish();
    Log::write(to == State::Open ? LogLevel::Warn : LogLevel::Info, "circuit breaker transition",
               {{"breaker", std::string_view(name_)},
                {"from", std::string_view(state_name(from))},
                {"to", std::string_view(state_name(to))},
                {"transitions_total", static_cast<int64_t>(counters_.transitions_total)}});
}

void CircuitBreaker::probe_now() {
    if (state_ == State::Open) transition(State::HalfOpen, clock_());
}

void CircuitBreaker::publish_to(BreakerGauge* gauge) {
    gauge_ = gauge;
    publish();
}

void CircuitBreaker::publish() {
    if (gauge_ == nullptr) return;
    gauge_->state.store(static_cast<int>(state_), std::memory_order_relaxed);
    gauge_->rejected_total.store(counters_.rejected_total, std::memory_order_relaxed);
    gauge_->failures_total.store(counters_.failures_total, std::memory_order_relaxed);
    gauge_->transitions_total.store(counters_.transitions_total, std::memory_order_relaxed);
}

void CircuitBreaker::publish_call(const Admission& admission, bool ok) {
    if (gauge_ == nullptr || !admission.allowed || admission.admitted_us == 0) return;
    gauge_->record_call(ok, (monotonic_us() - admission.admitted_us) * 1000);
}

}  // namespace spoke
