#pragma once
// CompatibilityHandler: a module's compatibility level (GET/PUT /modules/{name}/config), checks
// between versions (POST /modules/{name}/compatibility, GET .../{version}/compatibility) and the
// change list between two versions (POST /api/v1/modules/{name}/diff).

#include "reactor/router.hpp"
#include "services/services.hpp"

namespace spoke {

class CompatibilityHandler {
  public:
    explicit CompatibilityHandler(Services& app) : app_(app) {}

    void get_config(HttpExchange& ex, const RouteParams& params) const;
    void put_config(HttpExchange& ex, const RouteParams& params) const;
    // {old_version, new_version, mode?}: 200 or 409 with a CompatResult.
    void check_pair(HttpExchange& ex, const RouteParams& params) const;
    // A stored version against its previous version(s), as the push gate checked it.
    void check_version(HttpExchange& ex, const RouteParams& params) const;
    void diff(HttpExchange& ex, const RouteParams& params) const;

  private:
    Services& app_;
};

}  // namespace spoke
