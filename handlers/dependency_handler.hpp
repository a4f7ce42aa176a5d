#pragma once
// DependencyHandler: GET .../{version}/dependencies and GET .../{version}/dependents.

#include "reactor/router.hpp"
#include "services/services.hpp"

namespace spoke {

class DependencyHandler {
  public:
    explicit DependencyHandler(Services& app) : app_(app) {}

    // Direct dependencies, or with ?transitive=true the whole closure, dependency-first.
    void dependencies(HttpExchange& ex, const RouteParams& params) const;
    // Versions that depend directly on this one.
    void dependents(HttpExchange& ex, const RouteParams& params) const;

  private:
    Services& app_;
};

}  // namespace spoke
