#include "services/auth/token_service.hpp"

#include "common/clock.hpp"
#include "reactor/event_loop.hpp"
#include "services/auth/auth_shared.hpp"
#include "services/service_env.hpp"

namespace spoke {

void TokenService::create(TokenRequest request, Completion<CreatedToken> done) {
    auto made = make_token(std::move(request), wall_ms());
    if (!made) {
        return env_.loop.post([done = std::move(done), e = made.error()]() mutable { done(e); });
    }
    std::string secret = std::move(made->secret);
    env_.storage.create_token(
        std::move(made->record),
        [secret = std::move(secret), done = std::move(done)](Result<ApiToken> stored) mutable {
            if (!stored) return done(stored.error());
            done(CreatedToken{std::move(*stored), std::move(secret)});
        });
}

void TokenService::list(Completion<std::vector<ApiToken>> done) {
    env_.storage.list_tokens(std::move(done));
}

void TokenService::revoke(std::string id, Completion<ApiToken> done) {
    if (!is_token_id(id)) {
        return env_.loop.post([done = std::move(done), id]() mutable {
            done(Error::not_found("no token with id " + quote_value(id)));
        });
    }
    env_.storage.revoke_token(std::move(id),
                              [this, done = std::move(done)](Result<ApiToken> revoked) mutable {
                                  // This instance stops accepting it now; others when their cached
                                  // copy ages out.
                                  if (revoked) shared_.tokens.forget(revoked->secret_hash);
                                  done(std::move(revoked));
                              });
}

}  // namespace spoke
