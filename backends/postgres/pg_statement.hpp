#pragma once
// PgRoute: where a statement may run. PgReply: what it returned and where it ran. PgStatement:
// one statement on its way through a PgPool (waiting for, or running on, a connection).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "backends/resilience/circuit_breaker.hpp"
#include "reactor/callback.hpp"

namespace spoke {

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

// Whoever holds a PgStatement completes it (exactly once, through `done`).
struct PgStatement {
    PgRoute route = PgRoute::Write;
    std::string sql;
    std::vector<std::optional<std::string>> params;
    Callback<void(PgReply)> done;
    Admission admission;  // by the breaker of the endpoint it waits for or runs on
    int64_t acquire_deadline_ms = 0;
    bool rerouted = false;  // a Read that has left a replica for the primary; never again

    // A Read failing on a replica runs once more on the primary.
    bool may_leave_replica() const { return route == PgRoute::Read && !rerouted; }
};

inline void deliver(PgStatement& s, PgQueryResult result, bool from_replica) {
    auto done = std::move(s.done);
    done(PgReply{std::move(result), from_replica});
}

inline constexpr std::string_view kPgPoolClosed = "PostgreSQL pool closed";

inline PgError pool_closed_error() {
    return {PgErrorKind::Closed, "", std::string(kPgPoolClosed)};
}

}  // namespace spoke
