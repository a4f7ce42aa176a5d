#pragma once
// PgPoolOptions: a PgPool's sizing and timing.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "backends/resilience/circuit_breaker.hpp"
#include "backends/resilience/retry_backoff.hpp"

namespace spoke {

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

}  // namespace spoke
