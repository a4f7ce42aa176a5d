#pragma once
// ValidateHandler: POST /validate compiles files against their dependencies and stores nothing.

#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"

namespace spoke {

class ValidateHandler {
  public:
    explicit ValidateHandler(LoopServices& services) : services_(services) {}

    void validate(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;
};

}  // namespace spoke
