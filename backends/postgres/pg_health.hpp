#pragma once
// PgHealthCheck: readiness of a pool's endpoints: `SELECT 1` on each, bypassing breakers and
// queues (on a connection of the check's own when none is idle).

#include <list>
#include <memory>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "backends/postgres/pg_endpoint.hpp"
#include "backends/storage.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/lifetime.hpp"

namespace spoke {

// Loop thread only. Every check completes, with "PostgreSQL pool closed" for the endpoints still
// unanswered when the check (or its pool) is destroyed; completions are guarded by its Lifetime.
class PgHealthCheck {
  public:
    PgHealthCheck(EventLoop& loop, PgTimeouts timeouts) : loop_(loop), timeouts_(timeouts) {}
    PgHealthCheck(const PgHealthCheck&) = delete;
    PgHealthCheck& operator=(const PgHealthCheck&) = delete;

    // One StorageCheck per endpoint, in order, named after it; the primary's (endpoints[0]) is
    // required, the replicas' are not (reads fall back to the primary).
    void check(const std::vector<std::unique_ptr<PgEndpoint>>& endpoints,
               Callback<void(std::vector<StorageCheck>)> done);

    // Ends the lifetime: checks still running answer "PostgreSQL pool closed".
    void stop() { lifetime_.end(); }

  private:
    struct Run;
    void check_endpoint(PgEndpoint& ep, const std::shared_ptr<Run>& run, size_t i);

    EventLoop& loop_;
    PgTimeouts timeouts_;
    std::list<std::unique_ptr<PgConnection>> conns_;  // the checks' own connections
    Lifetime lifetime_;                               // last: ends before conns_ are destroyed
};

}  // namespace spoke
