#pragma once
// RetryBackoff: how long to sleep before retrying a failed dependency call (exponential backoff
// with full jitter), and when to stop. BackoffPolicy holds its bounds.

#include <cstdint>
#include <functional>
#include <optional>

namespace spoke {

// Bounds of one retry schedule.
struct BackoffPolicy {
    int64_t base_ms = 100;    // ceiling of the first retry's sleep
    int64_t cap_ms = 10'000;  // no sleep is longer than this
    int max_attempts = 3;     // total tries, the first call included; 1 disables retries
};

// Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): the sleep before retry n
// (n = 0 for the first retry) is uniform in [0, min(cap, base * 2^n)]. Spreading retries over the
// whole window keeps clients that failed together from retrying together.
//
// Stateless apart from its random source: the caller counts the attempts. Not thread-safe (the
// random source is not); use one per loop.
class RetryBackoff {
  public:
    // Uniform in [0, 1). Injected so tests are deterministic.
    using RandomSource = std::function<double()>;

    explicit RetryBackoff(BackoffPolicy policy, RandomSource random = system_random());

    // After `failed_attempts` (>= 1) tries have failed: the sleep before the next try, or nullopt
    // when max_attempts tries have been made.
    std::optional<int64_t> next_delay_ms(int failed_attempts);
    // min(cap, base * 2^retry) without overflow; retry is 0-based.
    int64_t ceiling_ms(int retry) const;
    const BackoffPolicy& policy() const { return policy_; }

    // A reproducible source from a 64-bit seed (mt19937_64; same sequence on every platform).
    static RandomSource seeded(uint64_t seed);
    // A source seeded from std::random_device.
    static RandomSource system_random();

  private:
    BackoffPolicy policy_;
    RandomSource random_;
};

}  // namespace spoke
