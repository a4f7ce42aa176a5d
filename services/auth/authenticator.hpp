#pragma once
// Authenticator: turns one request's Authorization header into the Principal it acts as, on one
// event loop. API tokens are looked up by the hash of their secret (cached process-wide for the
// revocation bound), JWTs verified against the configured keys; refusals are counted.

#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "reactor/lifetime.hpp"
#include "registry/api_token.hpp"
#include "registry/auth/access_policy.hpp"
#include "services/auth/auth_counters.hpp"
#include "services/auth/token_use_recorder.hpp"

namespace spoke {

class EventLoop;
class Storage;
struct AuthShared;

class Authenticator {
  public:
    Authenticator(EventLoop& loop, Storage& storage, AuthShared& shared);

    // `done` gets the Principal (Anonymous without a header), Unauthorized naming what is wrong
    // with the credential, or Unavailable when storage cannot answer (never a guess). It runs
    // inside this call when no storage lookup is needed (no header, a cached token, a JWT),
    // later on this loop otherwise, and always exactly once.
    void authenticate(std::optional<std::string_view> authorization,
                      Callback<void(Result<Principal>)> done);

    AuthShared& shared() { return shared_; }

  private:
    Result<Principal> admit_token(const ApiToken& token, const std::string& hash);
    Result<Principal> verify_jwt(std::string_view token);
    Error refuse(AuthOutcome why, std::string message);

    Storage& storage_;
    AuthShared& shared_;
    TokenUseRecorder uses_;
    Lifetime lifetime_;  // last: ends first
};

}  // namespace spoke
