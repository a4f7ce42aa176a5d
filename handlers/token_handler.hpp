#pragma once
// TokenHandler: POST /auth/tokens, GET /auth/tokens, DELETE /auth/tokens/{id} (admin only; the
// AuthGate checks that before these run).

#include "reactor/router.hpp"
#include "services/services.hpp"

namespace spoke {

class TokenHandler {
  public:
    explicit TokenHandler(Services& app) : app_(app) {}

    void create(HttpExchange& ex, const RouteParams& params) const;
    void list(HttpExchange& ex, const RouteParams& params) const;
    void revoke(HttpExchange& ex, const RouteParams& params) const;

  private:
    Services& app_;
};

}  // namespace spoke
