#pragma once
// JwtVerifier: checks identity-provider bearer tokens (JWS, RS256 / ES256 / HS256) against the
// configured key file and claims; shared by every event loop, its keys swapped on reload.
// JwtSettings: what the operator configures. JwtClaims: what a verified token grants.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/timestamp.hpp"
#include "services/auth/jwt_key_set.hpp"

namespace spoke {

struct JwtSettings {
    std::string keys_file;  // PEM public keys or a JWKS document
    std::string issuer;     // when non-empty, "iss" must equal it
    std::string audience;   // when non-empty, "aud" (a string or an array) must hold it
    std::chrono::seconds clock_skew{30};
    std::string scope_claim = "scope";
    std::string prefix_claim = "spoke_prefixes";
};

struct JwtClaims {
    std::string subject;
    std::vector<std::string> scopes;  // of "read", "write", "admin"; sorted, no duplicates
    // Module-name prefixes, in token order without duplicates. Empty when the claim is absent
    // or empty: the caller decides what an unrestricted token may reach.
    std::vector<std::string> prefixes;
    std::optional<TimestampMs> expires_at;
    std::string issuer;
};

class JwtVerifier {
  public:
    // Loads the key file at once; an unusable file or setting is an error (bad_request or
    // internal), for the operator.
    static Result<std::unique_ptr<JwtVerifier>> create(JwtSettings settings);

    // Any thread, no I/O. Errors are unauthorized with a short reason that never quotes the
    // token. `now` is wall-clock milliseconds.
    Result<JwtClaims> verify(std::string_view token, TimestampMs now) const;

    // Any thread (SIGHUP): reads the key file again and swaps the keys in; on an error the keys
    // in use stay and the error is returned.
    Status reload();

    const JwtSettings& settings() const { return settings_; }
    std::shared_ptr<const JwtKeySet> key_set() const;

    // Only for create(), which std::make_unique needs to reach.
    struct Built {
        explicit Built() = default;
    };
    JwtVerifier(Built, JwtSettings settings, std::shared_ptr<const JwtKeySet> keys)
        : settings_(std::move(settings)), keys_(std::move(keys)) {}

  private:
    const JwtSettings settings_;
    mutable std::mutex keys_mutex_;
    std::shared_ptr<const JwtKeySet> keys_;  // guarded by keys_mutex_; copied per verify()
};

}  // namespace spoke
