#pragma once
// ValidateHandler: POST /validate compiles files against their dependencies and stores nothing.

#include "reactor/router.hpp"
#include "services/services.hpp"

namespace spoke {

class ValidateHandler {
  public:
    explicit ValidateHandler(Services& app) : app_(app) {}

    void validate(HttpExchange& ex, const RouteParams& params) const;

  private:
    Services& app_;
};

}  // namespace spoke
