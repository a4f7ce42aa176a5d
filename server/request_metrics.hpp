#pragma once
// RequestMetrics: per-loop request counters and latency histograms, written only by the owning
// loop (relaxed atomics) and summed across loops by the /metrics scraper.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spoke {

class RequestMetrics {
  public:
    // Upper bounds in seconds of the latency buckets (+Inf implied).
    static constexpr std::array<double, 14> kBuckets{
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
    // The route set is fixed at construction so the scraper can read without locks.
    explicit RequestMetrics(const std::vector<std::string>& route_names);

    // `route_index` is the Router's index of the route (out of range: "unmatched").
    void record(size_t route_index, int status, int64_t duration_ns);

    // Prometheus text for the sum of `loops`.
    static void render(const std::vector<const RequestMetrics*>& loops, std::string& out);

  private:
    struct RouteStats {
        std::string name;
        std::array<std::atomic<uint64_t>, 600> by_status{};
        std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
        std::atomic<uint64_t> duration_ns_sum{0};
        std::atomic<uint64_t> count{0};
    };
    std::vector<std::unique_ptr<RouteStats>> routes_;  // the Router's order, then "unmatched"
};

}  // namespace spoke
