#pragma once
// DependencyHandler: GET .../{version}/dependencies and GET .../{version}/dependents.

#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"

namespace spoke {

class DependencyHandler {
  public:
    explicit DependencyHandler(LoopServices& services) : services_(services) {}

    // Direct dependencies, or with ?transitive=true the whole closure, dependency-first.
    void dependencies(HttpExchange& ex, const RouteParams& params) const;
    // Versions that depend directly on this one.
    void dependents(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;
};

}  // namespace spoke
