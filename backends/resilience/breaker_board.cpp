#include "backends/resilience/breaker_board.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

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

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    return text;
}

// Sums the gauges of one dependency (or PostgreSQL endpoint) across loops: the loops share one
// dependency, so per-loop series would only multiply the cardinality.
std::map<std::string, BreakerReading> by_dependency(const std::vector<BreakerReading>& readings) {
    std::map<std::string, BreakerReading> sums;
    for (const auto& r : readings) {
        BreakerReading& s = sums[r.dependency];
        s.dependency = r.dependency;
        s.calls_ok += r.calls_ok;
        s.calls_error += r.calls_error;
        for (size_t i = 0; i < r.call_buckets.size(); ++i) s.call_buckets[i] += r.call_buckets[i];
        s.call_ns_sum += r.call_ns_sum;
        s.pool_max += r.pool_max;
        s.pool_open += r.pool_open;
        s.pool_busy += r.pool_busy;
        s.pool_connecting += r.pool_connecting;
        s.pool_waiting += r.pool_waiting;
        s.replica_lag_ms = std::max(s.replica_lag_ms, r.replica_lag_ms);  // the worst loop's view
    }
    return sums;
}

void append_call_metrics(std::string& out, const std::map<std::string, BreakerReading>& sums) {
    out.append(
        "# HELP spoke_dependency_calls_total Calls to a dependency by outcome (error: it failed or "
        "timed out; a refusal by an open breaker is not a call).\n"
        "# TYPE spoke_dependency_calls_total counter\n");
    for (const auto& [name, s] : sums) {
        out.append("spoke_dependency_calls_total{dependency=\"").append(name);
        out.append("\",outcome=\"ok\"} ").append(std::to_string(s.calls_ok)).append("\n");
        out.append("spoke_dependency_calls_total{dependency=\"").append(name);
        out.append("\",outcome=\"error\"} ").append(std::to_string(s.calls_error)).append("\n");
    }
    constexpr std::string_view kDuration = "spoke_dependency_call_duration_seconds";
    out.append("# HELP ").append(kDuration).append(
        " Latency of dependency calls from admission to completion (a pool wait included).\n");
    out.append("# TYPE ").append(kDuration).append(" histogram\n");
    for (const auto& [name, s] : sums) {
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= BreakerGauge::kCallBuckets.size(); ++i) {
            cumulative += s.call_buckets[i];
            const std::string le = i < BreakerGauge::kCallBuckets.size()
                                       ? seconds_text(BreakerGauge::kCallBuckets[i])
                                       : "+Inf";
            out.append(kDuration).append("_bucket{dependency=\"").append(name);
            out.append("\",le=\"").append(le).append("\"} ");
            out.append(std::to_string(cumulative)).append("\n");
        }
        out.append(kDuration).append("_sum{dependency=\"").append(name).append("\"} ");
        out.append(seconds_text(static_cast<double>(s.call_ns_sum) / 1e9)).append("\n");
        out.append(kDuration).append("_count{dependency=\"").append(name).append("\"} ");
        out.append(std::to_string(cumulative)).append("\n");
    }
}

void append_pool_metrics(std::string& out, const std::map<std::string, BreakerReading>& sums) {
    bool any = false;
    for (const auto& [name, s] : sums) any = any || s.pool_max > 0;
    if (!any) return;
    out.append(
        "# HELP spoke_postgres_pool_connections PostgreSQL connections of all loops' pools, by "
        "endpoint and state.\n# TYPE spoke_postgres_pool_connections gauge\n");
    for (const auto& [name, s] : sums) {
        if (s.pool_max == 0) continue;
        const uint64_t idle = s.pool_open > s.pool_busy ? s.pool_open - s.pool_busy : 0;
        const std::pair<const char*, uint64_t> states[] = {
            {"idle", idle}, {"busy", s.pool_busy}, {"connecting", s.pool_connecting}};
        for (const auto& [state, n] : states) {
            out.append("spoke_postgres_pool_connections{endpoint=\"").append(name);
            out.append("\",state=\"").append(state).append("\"} ");
            out.append(std::to_string(n)).append("\n");
        }
    }
    const auto per_endpoint = [&](std::string_view metric, std::string_view help,
                                  uint64_t BreakerReading::*value) {
        out.append("# HELP ").append(metric).append(" ").append(help).append("\n");
        out.append("# TYPE ").append(metric).append(" gauge\n");
        for (const auto& [name, s] : sums) {
            if (s.pool_max == 0) continue;
            out.append(metric).append("{endpoint=\"").append(name).append("\"} ");
            out.append(std::to_string(s.*value)).append("\n");
        }
    };
    per_endpoint("spoke_postgres_pool_max_connections",
                 "The pools' connection cap per endpoint (all loops).", &BreakerReading::pool_max);
    per_endpoint("spoke_postgres_pool_waiting",
                 "Statements waiting for a pool connection, per endpoint.",
                 &BreakerReading::pool_waiting);
}

void append_replica_lag(std::string& out, const std::map<std::string, BreakerReading>& sums) {
    bool any = false;
    for (const auto& [name, s] : sums) any = any || s.replica_lag_ms >= 0;
    if (!any) return;
    out.append(
        "# HELP spoke_postgres_replica_lag_seconds A replica's replay lag at its last probe (the "
        "largest any loop measured; SPOKE_POSTGRES_REPLICA_MAX_LAG bounds reads from it).\n"
        "# TYPE spoke_postgres_replica_lag_seconds gauge\n");
    for (const auto& [name, s] : sums) {
        if (s.replica_lag_ms < 0) continue;
        out.append("spoke_postgres_replica_lag_seconds{endpoint=\"").append(name).append("\"} ");
        out.append(seconds_text(static_cast<double>(s.replica_lag_ms) / 1000.0)).append("\n");
    }
}

}  // namespace

void BreakerGauge::record_call(bool ok, int64_t duration_ns) {
    (ok ? calls_ok : calls_error).fetch_add(1, std::memory_order_relaxed);
    const double seconds = static_cast<double>(duration_ns) / 1e9;
    size_t bucket = 0;
    while (bucket < kCallBuckets.size() && seconds > kCallBuckets[bucket]) ++bucket;
    call_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    call_ns_sum.fetch_add(static_cast<uint64_t>(std::max<int64_t>(duration_ns, 0)),
                          std::memory_order_relaxed);
}

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
    constexpr auto relaxed = std::memory_order_relaxed;
    for (const auto& g : gauges_) {
        BreakerReading& r = out.emplace_back();
        r.dependency = g.dependency;
        r.owner = g.owner;
        r.state = static_cast<CircuitBreaker::State>(g.state.load(relaxed));
        r.rejected_total = g.rejected_total.load(relaxed);
        r.failures_total = g.failures_total.load(relaxed);
        r.transitions_total = g.transitions_total.load(relaxed);
        r.calls_ok = g.calls_ok.load(relaxed);
        r.calls_error = g.calls_error.load(relaxed);
        for (size_t i = 0; i < r.call_buckets.size(); ++i)
            r.call_buckets[i] = g.call_buckets[i].load(relaxed);
        r.call_ns_sum = g.call_ns_sum.load(relaxed);
        r.pool_max = g.pool_max.load(relaxed);
        r.pool_open = g.pool_open.load(relaxed);
        r.pool_busy = g.pool_busy.load(relaxed);
        r.pool_connecting = g.pool_connecting.load(relaxed);
        r.pool_waiting = g.pool_waiting.load(relaxed);
        r.replica_lag_ms = g.replica_lag_ms.load(relaxed);
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
    const auto sums = by_dependency(readings);
    append_call_metrics(out, sums);
    append_pool_metrics(out, sums);
    append_replica_lag(out, sums);
}

}  // namespace spoke
