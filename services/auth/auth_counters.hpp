#pragma once
// AuthCounters: what authentication did, for /metrics (spoke_auth_*). Process-wide, lock-free.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace spoke {

// Why a credential was refused (or a request denied). Labels never carry a token.
enum class AuthOutcome : uint8_t {
    Missing,     // no credential where one is needed (401)
    Malformed,   // an Authorization header that is not "Bearer <token>" of a known shape (401)
    Unknown,     // an API token that does not exist (401)
    Expired,     // an API token past its expiry (401)
    Revoked,     // a revoked API token (401)
    JwtInvalid,  // a JWT that does not verify (401)
    Forbidden,   // a valid credential without the scope or prefix (403)
    Throttled,   // refused by the failed-authentication limiter (429)
    kCount
};

std::string_view auth_outcome_label(AuthOutcome outcome);

struct AuthCounters {
    std::array<std::atomic<uint64_t>, static_cast<size_t>(AuthOutcome::kCount)> refused{};
    std::atomic<uint64_t> token_ok{0};  // requests with a valid API token
    std::atomic<uint64_t> jwt_ok{0};    // requests with a valid JWT
    std::atomic<uint64_t> lookups{0};   // token lookups that went to storage (cache misses)

    void count(AuthOutcome o) {
        refused[static_cast<size_t>(o)].fetch_add(1, std::memory_order_relaxed);
    }
};

}  // namespace spoke
