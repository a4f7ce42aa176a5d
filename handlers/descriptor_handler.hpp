#pragma once
// DescriptorHandler: GET .../{version}/descriptor, a binary FileDescriptorSet with every
// transitive import (DescriptorService: compiled once, cached).

#include "reactor/router.hpp"
#include "services/services.hpp"

namespace spoke {

class DescriptorHandler {
  public:
    explicit DescriptorHandler(Services& app) : app_(app) {}

    void get(HttpExchange& ex, const RouteParams& params) const;

  private:
    Services& app_;
};

}  // namespace spoke
