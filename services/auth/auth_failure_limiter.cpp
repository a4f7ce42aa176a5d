#include "services/auth/auth_failure_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace spoke {

AuthFailureLimiter::AuthFailureLimiter(uint32_t burst, std::chrono::milliseconds period,
                                       size_t max_addresses)
    : burst_(burst),
      per_ms_(period.count() > 0 ? static_cast<double>(burst) / static_cast<double>(period.count())
                                 : 0.0),
      max_addresses_(max_addresses) {}

void AuthFailureLimiter::refill(Bucket& b, int64_t now_ms) const {
    const int64_t elapsed = std::max<int64_t>(0, now_ms - b.updated_ms);
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(elapsed) * per_ms_);
    b.updated_ms = now_ms;
}

std::optional<std::chrono::milliseconds> AuthFailureLimiter::blocked(std::string_view address,
                                                                     int64_t now_ms) {
    if (burst_ <= 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(std::string(address));
    if (it == buckets_.end()) return std::nullopt;
    refill(it->second, now_ms);
    if (it->second.tokens >= 1.0) return std::nullopt;
    const double wait = per_ms_ > 0 ? (1.0 - it->second.tokens) / per_ms_ : 60'000.0;
    return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait)));
}

void AuthFailureLimiter::record_failure(std::string_view address, int64_t now_ms) {
    if (burst_ <= 0) return;
    std::lock_guard lock(mutex_);
    auto [it, inserted] = buckets_.try_emplace(std::string(address));
    if (inserted) {
        if (buckets_.size() > max_addresses_) {
            // Full buckets carry no state worth keeping.
            for (auto b = buckets_.begin(); b != buckets_.end();) {
                refill(b->second, now_ms);
                const bool full = b->first != address && b->second.tokens >= burst_;
                b = full ? buckets_.erase(b) : std::next(b);
            }
            // Still full: memory stays bounded, at the price of forgetting every address.
            if (buckets_.size() > max_addresses_) buckets_.clear();
            it = buckets_.try_emplace(std::string(address)).first;
        }
        it->second = Bucket{burst_, now_ms};
    }
    refill(it->second, now_ms);
    it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

}  // namespace spoke
