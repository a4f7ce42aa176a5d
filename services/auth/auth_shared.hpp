#pragma once
// AuthSettings: the SPOKE_AUTH_* settings. AuthShared: the process-wide state of authentication
// that every loop's Authenticator uses (thread-safe parts only).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/auth/auth_counters.hpp"
#include "services/auth/auth_failure_limiter.hpp"
#include "services/auth/jwt_verifier.hpp"
#include "services/auth/token_cache.hpp"

namespace spoke {

struct AuthSettings {
    bool anonymous_read = true;                  // SPOKE_AUTH_ANONYMOUS_READ
    std::chrono::milliseconds cache_ttl{10000};  // SPOKE_AUTH_CACHE_TTL: revocation bound
    uint32_t failure_burst = 30;                 // SPOKE_AUTH_FAILURE_LIMIT "30/m"
    std::chrono::milliseconds failure_period{60000};
    std::chrono::milliseconds last_used_interval{60000};  // SPOKE_AUTH_LAST_USED_INTERVAL
    JwtSettings jwt;                                      // jwt.keys_file empty: no JWTs accepted
    // SPOKE_TRUSTED_PROXIES: peers whose X-Forwarded-For names the client (numeric, canonical).
    std::vector<std::string> trusted_proxies;
};

struct AuthShared {
    explicit AuthShared(AuthSettings s)
        : settings(std::move(s)),
          tokens(settings.cache_ttl, 100'000),
          failures(settings.failure_burst, settings.failure_period, 100'000) {}

    const AuthSettings settings;
    TokenCache tokens;
    AuthFailureLimiter failures;
    std::unique_ptr<JwtVerifier> jwt;  // null unless SPOKE_AUTH_JWT_KEYS is set
    AuthCounters counters;
};

}  // namespace spoke
