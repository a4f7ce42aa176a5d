#pragma once
// VersionHandler: push (POST /modules/{name}/versions), list and get versions.

#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"

namespace spoke {

class VersionHandler {
  public:
    explicit VersionHandler(LoopServices& services) : services_(services) {}

    // decode -> validate -> module exists -> previous versions (unless the level is NONE) ->
    // dependency closure -> compile (pool) -> compatibility gate (pool) -> store.
    void push(HttpExchange& ex, const RouteParams& params) const;
    void list(HttpExchange& ex, const RouteParams& params) const;
    // Concrete versions are served from the ResponseCache without touching storage.
    void get(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;
};

}  // namespace spoke
