#include "server/request_metrics.hpp"

#include <algorithm>
#include <cstdio>

#include "reactor/log.hpp"

namespace spoke {

RequestMetrics::RequestMetrics(const std::vector<std::string>& route_names) {
    auto add = [this](const std::string& name) {
        auto stats = std::make_unique<RouteStats>();
        stats->name = name;
        routes_.push_back(std::move(stats));
    };
    for (const auto& n : route_names) add(n);
    add("unmatched");
}

void RequestMetrics::record(size_t route_index, int status, int64_t duration_ns) {
    RouteStats& s = *routes_[std::min(route_index, routes_.size() - 1)];
    if (status >= 0 && status < 600) s.by_status[status].fetch_add(1, std::memory_order_relaxed);
    const double secs = static_cast<double>(duration_ns) / 1e9;
    size_t b = 0;
    while (b < kBuckets.size() && secs > kBuckets[b]) ++b;
    s.buckets[b].fetch_add(1, std::memory_order_relaxed);
    s.duration_ns_sum.fetch_add(static_cast<uint64_t>(duration_ns), std::memory_order_relaxed);
    s.count.fetch_add(1, std::memory_order_relaxed);
}

void RequestMetrics::render(const std::vector<const RequestMetrics*>& loops, std::string& out) {
    if (loops.empty()) return;
    const size_t nroutes = loops.front()->routes_.size();
    auto label = [](std::string& o, const std::string& route) {
        o += "route=";
        append_json_string(o, route);  // Prometheus label escaping matches JSON for our route names
    };
    out += "# HELP spoke_http_requests_total HTTP requests by route and status.\n";
    out += "# TYPE spoke_http_requests_total counter\n";
    for (size_t r = 0; r < nroutes; ++r) {
        for (int status = 100; status < 600; ++status) {
            uint64_t n = 0;
            for (const auto* l : loops)
                n += l->routes_[r]->by_status[status].load(std::memory_order_relaxed);
            if (n == 0) continue;
            out += "spoke_http_requests_total{";
            label(out, loops.front()->routes_[r]->name);
            out += ",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
        }
    }
    out += "# HELP spoke_http_request_duration_seconds Time from request parsed to reply queued.\n";
    out += "# TYPE spoke_http_request_duration_seconds histogram\n";
    for (size_t r = 0; r < nroutes; ++r) {
        uint64_t count = 0, sum_ns = 0;
        for (const auto* l : loops) {
            count += l->routes_[r]->count.load(std::memory_order_relaxed);
            sum_ns += l->routes_[r]->duration_ns_sum.load(std::memory_order_relaxed);
        }
        if (count == 0) continue;
        const std::string& name = loops.front()->routes_[r]->name;
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= kBuckets.size(); ++b) {
            for (const auto* l : loops)
                cumulative += l->routes_[r]->buckets[b].load(std::memory_order_relaxed);
            char le[32];
            if (b < kBuckets.size())
                std::snprintf(le, sizeof le, "%g", kBuckets[b]);
            else
                std::snprintf(le, sizeof le, "+Inf");
            out += "spoke_http_request_duration_seconds_bucket{";
            label(out, name);
            out += ",le=\"" + std::string(le) + "\"} " + std::to_string(cumulative) + "\n";
        }
        char sum[48];
        std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(sum_ns) / 1e9);
        out += "spoke_http_request_duration_seconds_sum{";
        label(out, name);
        out += "} " + std::string(sum) + "\n";
        out += "spoke_http_request_duration_seconds_count{";
        label(out, name);
        out += "} " + std::to_string(count) + "\n";
    }
}

}  // namespace spoke
