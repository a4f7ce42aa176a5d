#pragma once
// DescriptorHandler: GET .../{version}/descriptor, a binary FileDescriptorSet with every
// transitive import, compiled on the worker pool and cached.

#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"

namespace spoke {

class DescriptorHandler {
  public:
    explicit DescriptorHandler(LoopServices& services) : services_(services) {}

    void get(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;
};

}  // namespace spoke
