#pragma once
// TokenService: the API token management of one loop: create (the secret is returned once),
// list (never a secret), revoke (enforced here at once, elsewhere within the cache lifetime).

#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "services/auth/token_request.hpp"

namespace spoke {

struct ServiceEnv;
struct AuthShared;

class TokenService {
  public:
    TokenService(const ServiceEnv& env, AuthShared& shared) : env_(env), shared_(shared) {}

    void create(TokenRequest request, Completion<CreatedToken> done);
    void list(Completion<std::vector<ApiToken>> done);
    // NotFound for an id that names no token.
    void revoke(std::string id, Completion<ApiToken> done);

  private:
    const ServiceEnv& env_;
    AuthShared& shared_;
};

}  // namespace spoke
