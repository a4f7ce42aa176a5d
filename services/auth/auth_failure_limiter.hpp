#pragma once
// AuthFailureLimiter: slows down guessing. Each client address has a bucket of failed
// authentications (`burst` deep, refilled at `burst` per `period`); an address whose bucket is
// empty gets 429 without its credential being looked at, until the bucket refills.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace spoke {

class AuthFailureLimiter {
  public:
    // burst 0: the limiter is off.
    AuthFailureLimiter(uint32_t burst, std::chrono::milliseconds period, size_t max_addresses);

    // When the address may not try now: how long until it may. `now_ms` is monotonic.
    std::optional<std::chrono::milliseconds> blocked(std::string_view address, int64_t now_ms);
    void record_failure(std::string_view address, int64_t now_ms);

  private:
    struct Bucket {
        double tokens = 0;
        int64_t updated_ms = 0;
    };
    void refill(Bucket& b, int64_t now_ms) const;

    const double burst_;
    const double per_ms_;  // tokens regained per millisecond
    const size_t max_addresses_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket>
        buckets_;  // guarded by mutex_; only addresses that failed
};

}  // namespace spoke
