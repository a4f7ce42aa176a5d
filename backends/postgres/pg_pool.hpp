#pragma once
// PgPool: one loop's PostgreSQL connections (the primary and each read replica), with routing,
// a circuit breaker per endpoint, reconnects with backoff, and the read-your-writes fence.
// PgEndpointStatus: one endpoint's health as the pool sees it.
//
// Its parts, one job each: PgEndpoint (connections, waiters, breaker, reconnect backoff),
// ReplicaMonitor (lag probe, eligibility past the fence), PgRouter (which endpoint a statement
// goes to), PgHealthCheck (readiness) and WriteFence (write_fence.hpp).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "backends/postgres/pg_pool_options.hpp"
#include "backends/postgres/pg_statement.hpp"
#include "backends/postgres/write_fence.hpp"
#include "backends/storage.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

class BreakerBoard;

// Health of one endpoint as this pool sees it (for /health/ready and tests).
struct PgEndpointStatus {
    std::string name;  // "postgres_primary", "postgres_replica_0", ...
    bool replica = false;
    size_t open = 0;  // connections Idle or Busy
    size_t busy = 0;
    bool eligible = false;    // replicas: up, within the lag bound and past the fence
    int64_t lag_ms = -1;      // replicas: last measured replay lag; -1 unknown
    uint64_t replay_lsn = 0;  // replicas: last measured replay position
    std::string last_error;   // last connect or probe failure, no secrets
};

// All calls and the destructor on the loop's thread. Every completion runs from loop.defer(),
// never inside query(); destroying the pool completes what is queued or in flight with
// Unavailable "PostgreSQL pool closed" (also from loop.defer()).
//
// Failure rules:
//  - a statement that waits longer than acquire_timeout_ms for a connection fails Unavailable;
//  - the endpoint's breaker admits each statement; connection errors, timeouts and server-state
//    SQLSTATEs (PgError::to_error() == Unavailable) count as failures, other answers as successes;
//    an open breaker fails the statement at once with Unavailable;
//  - Write statements are never retried (the caller cannot know whether they committed);
//  - a Read that fails with a connection error or timeout on a replica runs once more on the
//    primary, and that replica is skipped until its next successful probe;
//  - a successful background connect on an endpoint whose breaker is Open calls probe_now().
class PgPool {
  public:
    // `fence` and `board` (may be null) outlive the pool.
    PgPool(EventLoop& loop, PgPoolOptions options, WriteFence& fence, BreakerBoard* board);
    ~PgPool();
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;

    // Opens min_conns per endpoint and starts the maintenance and replica-probe timers.
    void start();

    // One statement with text parameters ($1, ...; nullopt = NULL), results in text format.
    void query(PgRoute route, std::string sql, std::vector<std::optional<std::string>> params,
               Callback<void(PgReply)> done);
    // Whether a Read routed now sees the write at WAL `position` (ReplicaMonitor::replayed).
    bool reads_see(uint64_t position);

    // Readiness: runs `SELECT 1` on the primary and on each replica, bypassing breakers and
    // queues (on a connection of its own when none is idle), bounded by the connect + statement
    // deadlines. One check per endpoint, named as in PgEndpointStatus; the primary's is
    // required, the replicas' are not (reads fall back to the primary).
    void check(Callback<void(std::vector<StorageCheck>)> done);

    std::vector<PgEndpointStatus> status() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace spoke
