#pragma once
// ModuleHandler: POST /modules, GET /modules, GET /modules/{name}.

#include "reactor/router.hpp"
#include "services/services.hpp"

namespace spoke {

class ModuleHandler {
  public:
    explicit ModuleHandler(Services& app) : app_(app) {}

    void create(HttpExchange& ex, const RouteParams& params) const;
    void list(HttpExchange& ex, const RouteParams& params) const;
    void get(HttpExchange& ex, const RouteParams& params) const;

  private:
    Services& app_;
};

}  // namespace spoke
