#pragma once
// LogThrottle: a condition that can repeat thousands of times a second (connections refused,
// clients timed out) is logged at most once per interval, with how many times it happened.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "reactor/log.hpp"

namespace spoke {

// Any thread. One per condition; the first occurrence is logged at once, later ones are counted
// and reported with the next line an interval later.
class LogThrottle {
  public:
    LogThrottle(LogLevel level, std::string_view message,
                std::chrono::milliseconds interval = std::chrono::seconds(10))
        : level_(level), message_(message), interval_ms_(interval.count()) {}

    void note();
    // Occurrences not yet reported in a line.
    uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }

  private:
    const LogLevel level_;
    const std::string_view message_;  // a literal: outlives the throttle
    const int64_t interval_ms_;
    std::atomic<int64_t> next_line_ms_{0};
    std::atomic<uint64_t> pending_{0};
};

}  // namespace spoke
