#pragma once
// VersionHandler: push (POST /modules/{name}/versions), list and get versions.

#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"
#include "services/services.hpp"

namespace spoke {

class VersionHandler {
  public:
    VersionHandler(LoopServices& services, Services& app) : services_(services), app_(app) {}

    // decode -> validate -> PushService (services/push_service.hpp: its stages) -> 201/200, or
    // 409 INCOMPATIBLE.
    void push(HttpExchange& ex, const RouteParams& params) const;
    void list(HttpExchange& ex, const RouteParams& params) const;
    // Concrete versions are served from the ResponseCache without touching storage.
    void get(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;
    Services& app_;
};

}  // namespace spoke
