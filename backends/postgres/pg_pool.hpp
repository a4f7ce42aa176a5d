#pragma once
// PgPool: one loop's PostgreSQL connections (the primary and each read replica), with routing,
// a circuit breaker per endpoint, reconnects with backoff, and the read-your-writes fence.
// PgPoolOptions: its sizing and timing. WriteFence: the process-wide WAL position of the last
// write this process acknowledged. PgRoute: where a statement may run.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/circuit_breaker.hpp"
#include "backends/postgres/pg_connection.hpp"
#include "backends/retry_backoff.hpp"
#include "backends/storage.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

class BreakerBoard;

// Highest WAL LSN (as a 64-bit number) that any write of this process committed before it was
// acknowledged. Shared by every loop's pool; a replica is eligible for reads only once it has
// replayed up to here, so a client that got a 201 from this process reads its own write.
struct WriteFence {
    std::atomic<uint64_t> lsn{0};
    void advance(uint64_t to);
};

// "16/B374D848" -> 0x16B374D848; nullopt if malformed.
std::optional<uint64_t> parse_pg_lsn(std::string_view text);

struct PgPoolOptions {
    std::string primary_conninfo;                // may name several hosts (failover)
    std::vector<std::string> replica_conninfos;  // read replicas, in SPOKE_* order
    size_t max_conns = 4;  // per endpoint on this loop (this loop's share of the process cap)
    size_t min_conns = 1;  // per endpoint on this loop, kept open (and reopened) in the background
    PgTimeouts timeouts;   // connect and statement deadlines
    int64_t replica_max_lag_ms = 5000;        // a replica further behind is skipped
    int64_t replica_probe_interval_ms = 500;  // how often each replica's lag is read
    int64_t maintenance_interval_ms = 250;    // min_conns top-up and reconnect cadence
    BreakerPolicy breaker;
    BackoffPolicy reconnect{.base_ms = 100, .cap_ms = 5000, .max_attempts = 1 << 30};
    // How long a statement may wait for a free connection before it fails Unavailable.
    int64_t acquire_timeout_ms = 5000;
    std::string owner = "loop0";  // names this pool's breakers on the BreakerBoard
};

enum class PgRoute {
    Write,        // the primary; on success, the fence is advanced to the primary's WAL position
    ReadPrimary,  // the primary, no fence (read-after-NotFound, conflict settling)
    Read,         // a healthy, caught-up replica (round-robin), else the primary
};

// What a statement returned and where it ran.
struct PgReply {
    PgQueryResult result;
    bool from_replica = false;  // true: a NotFound here may only mean the replica is behind
};

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
