#pragma once
// ModuleHandler: POST /modules, GET /modules, GET /modules/{name}.

#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"

namespace spoke {

class ModuleHandler {
  public:
    explicit ModuleHandler(LoopServices& services) : services_(services) {}

    void create(HttpExchange& ex, const RouteParams& params) const;
    void list(HttpExchange& ex, const RouteParams& params) const;
    void get(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;
};

}  // namespace spoke
