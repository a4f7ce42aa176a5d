#pragma once
// PgRouter: which endpoint a statement runs on. Write and ReadPrimary go to the primary; Read to
// an eligible replica (round-robin), else the primary; a Read a replica cannot take goes on to
// the primary, once.

#include <memory>
#include <vector>

#include "backends/postgres/pg_endpoint.hpp"
#include "backends/postgres/pg_statement.hpp"
#include "backends/postgres/replica_monitor.hpp"

namespace spoke {

// Loop thread only; holds no state but the round-robin position.
class PgRouter {
  public:
    // endpoints[0] is the primary, endpoints[1 + i] replica i of `monitor`; both outlive this.
    PgRouter(const std::vector<std::unique_ptr<PgEndpoint>>& endpoints, ReplicaMonitor& monitor)
        : endpoints_(endpoints), monitor_(monitor) {}

    void route(PgStatement s);
    // `s` is done with replicas (marked rerouted): it runs on the primary or fails there.
    void to_primary(PgStatement s) { dispatch(primary(), std::move(s)); }

  private:
    PgEndpoint& primary() { return *endpoints_.front(); }
    PgEndpoint* pick_replica();
    // Through the endpoint's breaker: an open one sends a replica Read on to the primary and
    // fails anything else (later, never inline).
    void dispatch(PgEndpoint& ep, PgStatement s);

    const std::vector<std::unique_ptr<PgEndpoint>>& endpoints_;
    ReplicaMonitor& monitor_;
    size_t next_replica_ = 0;
};

}  // namespace spoke
