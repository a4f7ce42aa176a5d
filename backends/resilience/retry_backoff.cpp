#include "backends/resilience/retry_backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

namespace spoke {

RetryBackoff::RetryBackoff(BackoffPolicy policy, RandomSource random)
    : policy_(policy), random_(std::move(random)) {
    policy_.base_ms = std::max<int64_t>(policy_.base_ms, 0);
    policy_.cap_ms = std::max<int64_t>(policy_.cap_ms, 0);
    policy_.max_attempts = std::max(policy_.max_attempts, 1);
}

int64_t RetryBackoff::ceiling_ms(int retry) const {
    if (retry < 0) retry = 0;
    if (policy_.base_ms == 0) return 0;
    // base * 2^retry > cap  <=>  base > cap >> retry; shifting the cap cannot overflow.
    if (retry >= 62 || policy_.base_ms > (policy_.cap_ms >> retry)) return policy_.cap_ms;
    return std::min(policy_.cap_ms, policy_.base_ms << retry);
}

std::optional<int64_t> RetryBackoff::next_delay_ms(int failed_attempts) {
    if (failed_attempts < 1) failed_attempts = 1;
    if (failed_attempts >= policy_.max_attempts) return std::nullopt;
    int64_t ceiling = ceiling_ms(failed_attempts - 1);
    double r = random_ ? random_() : 0.0;
    // A misbehaving source (NaN, negative, >= 1) must not escape the window.
    if (!(r >= 0.0)) r = 0.0;
    if (r >= 1.0) r = std::nextafter(1.0, 0.0);
    // Scale to ceiling + 1 (in double: ceiling may be INT64_MAX) so the ceiling itself is
    // reachable: [0, ceiling] inclusive.
    auto delay = static_cast<int64_t>(r * (static_cast<double>(ceiling) + 1.0));
    return std::clamp<int64_t>(delay, 0, ceiling);
}

RetryBackoff::RandomSource RetryBackoff::seeded(uint64_t seed) {
    // Not uniform_real_distribution: its output differs between standard libraries.
    return [engine = std::mt19937_64(seed)]() mutable {
        return static_cast<double>(engine() >> 11) * 0x1.0p-53;
    };
}

RetryBackoff::RandomSource RetryBackoff::system_random() {
    std::random_device device;
    uint64_t seed = (static_cast<uint64_t>(device()) << 32) ^ device();
    return seeded(seed);
}

}  // namespace spoke
