#include "backends/resilience/breaker_board.hpp"

namespace spoke {
namespace {

int severity(CircuitBreaker::State s) {
    switch (s) {
        case CircuitBreaker::State::Closed:
            return 0;
        case CircuitBreaker::State::HalfOpen:
            return 1;
        case CircuitBreaker::State::Open:
            return 2;
    }
    return 0;
}

void append_line(std::string& out, std::string_view name, const BreakerReading& r, uint64_t value) {
    out.append(name).append("{dependency=\"").append(r.dependency);
    out.append("\",owner=\"").append(r.owner).append("\"} ");
    out.append(std::to_string(value)).append("\n");
}

}  // namespace

BreakerGauge& BreakerBoard::add(std::string dependency, std::string owner) {
    std::lock_guard lock(mutex_);
    BreakerGauge& g = gauges_.emplace_back();
    g.dependency = std::move(dependency);
    g.owner = std::move(owner);
    return g;
}

std::vector<BreakerReading> BreakerBoard::read() const {
    std::lock_guard lock(mutex_);
    std::vector<BreakerReading> out;
    out.reserve(gauges_.size());
    for (const auto& g : gauges_) {
        out.push_back({g.dependency, g.owner,
                       static_cast<CircuitBreaker::State>(g.state.load(std::memory_order_relaxed)),
                       g.rejected_total.load(std::memory_order_relaxed),
                       g.failures_total.load(std::memory_order_relaxed),
                       g.transitions_total.load(std::memory_order_relaxed)});
    }
    return out;
}

CircuitBreaker::State BreakerBoard::worst(const std::string& dependency) const {
    CircuitBreaker::State worst = CircuitBreaker::State::Closed;
    for (const auto& r : read()) {
        if (r.dependency == dependency && severity(r.state) > severity(worst)) worst = r.state;
    }
    return worst;
}

void BreakerBoard::append_metrics(std::string& out) const {
    const auto readings = read();
    if (readings.empty()) return;
    out.append(
        "# HELP spoke_breaker_state Circuit breaker state per dependency and loop (0 closed, 1 "
        "open, 2 half-open).\n# TYPE spoke_breaker_state gauge\n");
    for (const auto& r : readings)
        append_line(out, "spoke_breaker_state", r, static_cast<int>(r.state));
    out.append(
        "# HELP spoke_breaker_rejected_total Calls refused by an open breaker.\n# TYPE "
        "spoke_breaker_rejected_total counter\n");
    for (const auto& r : readings)
        append_line(out, "spoke_breaker_rejected_total", r, r.rejected_total);
    out.append(
        "# HELP spoke_breaker_failures_total Dependency failures seen by a breaker.\n# TYPE "
        "spoke_breaker_failures_total counter\n");
    for (const auto& r : readings)
        append_line(out, "spoke_breaker_failures_total", r, r.failures_total);
    out.append(
        "# HELP spoke_breaker_transitions_total Breaker state changes.\n# TYPE "
        "spoke_breaker_transitions_total counter\n");
    for (const auto& r : readings) {
        append_line(out, "spoke_breaker_transitions_total", r, r.transitions_total);
    }
}

}  // namespace spoke
