#pragma once
// AuthGate: stands before every API route. It authenticates the request, decides with the
// route's RouteAccess (registry/auth/access_policy.hpp), and then either runs the route's
// handler or answers 401 / 403 / 429 itself. RouteAccessTable: what each route needs, in the
// Router's registration order (for the audit log and the route listing tests use).

#include <string>
#include <vector>

#include "reactor/router.hpp"
#include "registry/auth/access_policy.hpp"

namespace spoke {

struct Services;

struct RouteDeclaration {
    std::string route;  // "POST /modules"
    RouteAccess access;
};
using RouteAccessTable = std::vector<RouteDeclaration>;

class AuthGate {
  public:
    // `app` (this loop's services) and `table` outlive the gate and every route handler.
    AuthGate(Services& app, RouteAccessTable& table) : app_(app), table_(table) {}

    // Registers `handler` behind the gate: nothing reaches it unless `access` allows.
    void add(Router& router, HttpMethod method, std::string_view pattern, RouteAccess access,
             RouteHandler handler);

  private:
    Services& app_;
    RouteAccessTable& table_;
};

}  // namespace spoke
