#include "reactor/log_throttle.hpp"

#include "common/clock.hpp"

namespace spoke {

void LogThrottle::note() {
    pending_.fetch_add(1, std::memory_order_relaxed);
    const int64_t now = monotonic_coarse_ns() / 1'000'000;
    int64_t next = next_line_ms_.load(std::memory_order_relaxed);
    if (now < next) return;
    // One thread wins the interval; the others only count.
    if (!next_line_ms_.compare_exchange_strong(next, now + interval_ms_,
                                               std::memory_order_relaxed)) {
        return;
    }
    const uint64_t count = pending_.exchange(0, std::memory_order_relaxed);
    if (count == 0) return;
    // "count": occurrences since the previous line of this condition (1 for the first).
    Log::write(level_, message_,
               {{"count", static_cast<int64_t>(count)}, {"interval_s", interval_ms_ / 1000}});
}

}  // namespace spoke
