#pragma once
// PgEndpoint: one PostgreSQL server (the primary or a replica) as one loop's pool sees it: its
// connections, the statements waiting for one, its circuit breaker and its reconnect backoff.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "backends/postgres/pg_pool_options.hpp"
#include "backends/postgres/pg_statement.hpp"
#include "backends/postgres/write_fence.hpp"
#include "backends/resilience/circuit_breaker.hpp"
#include "backends/resilience/retry_backoff.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

namespace spoke {

// All calls and the destructor on the loop's thread. Statements are completed from loop.defer()
// or from PgConnection's (deferred) completions, never inside enqueue(). Every completion handed
// to a PgConnection is guarded by this endpoint's Lifetime: once close() ended it, they touch
// nothing of the endpoint and complete their statement with "PostgreSQL pool closed".
class PgEndpoint {
  public:
    // Connections Idle or Busy, Busy, and Connecting (retired ones not counted).
    struct Counts {
        size_t open = 0;
        size_t busy = 0;
        size_t connecting = 0;
    };

    // What the endpoint leaves to its pool: where a Read goes that this replica cannot serve
    // (the statement is marked rerouted already), and that this replica lost a connection or
    // timed out, so it should be skipped until its next probe.
    struct Hooks {
        Callback<void(PgStatement)> reroute;
        Callback<void(std::string_view why)> replica_lost;
    };

    // `options`, `backoff` and `fence` outlive the endpoint.
    PgEndpoint(EventLoop& loop, std::string name, std::string conninfo, bool replica,
               const PgPoolOptions& options, RetryBackoff& backoff, WriteFence& fence, Hooks hooks);
    PgEndpoint(const PgEndpoint&) = delete;
    PgEndpoint& operator=(const PgEndpoint&) = delete;

    const std::string& name() const { return name_; }
    const std::string& conninfo() const { return conninfo_; }
    bool replica() const { return replica_; }
    CircuitBreaker& breaker() { return breaker_; }
    const std::string& last_error() const { return last_error_; }
    void set_last_error(std::string_view why);
    Counts counts() const;

    // An admitted statement (admission from breaker()) waits for a connection, at most
    // acquire_timeout_ms.
    void enqueue(PgStatement s, const Admission& admission);
    // Completes `s` with `error` on a later loop iteration.
    void fail_later(PgStatement s, PgError error);
    // Hands free connections to waiting statements, opens more when allowed, and fails the
    // waiters at once when the endpoint is unreachable and backing off.
    void pump();
    // pump(), then opens connections up to `min_conns` unless backing off (the maintenance tick).
    void maintain(size_t min_conns);

    // Connect attempts (the pool's own, or a probe's on a connection of its own) report here.
    bool backing_off(int64_t now_ms) const { return now_ms < next_connect_ms_; }
    void note_connect_success();
    void note_connect_failure(std::string_view why);

    // Runs `sql` on an idle connection, bypassing the breaker and the queue; false, with `done`
    // left untouched, when none is idle. `done` gets "PostgreSQL pool closed" after close().
    bool run_on_idle(const char* sql, Callback<void(PgQueryResult)>& done);

    // Fails the waiters (deferred) and ends the lifetime: completions still to come find it over.
    void close();

  private:
    // `pending`: one of our callbacks still refers to it, so it stays in place.
    struct PooledConn {
        std::unique_ptr<PgConnection> conn;
        bool pending = false;
        bool retired = false;  // not to be reused (it reached a read-only server as the primary)
    };

    // pump()'s work: statements to free connections, more connections opened when allowed.
    void serve_waiting();
    // Mirrors the pool's counts into the breaker's gauge (/metrics).
    void publish_pool();
    PooledConn* free_conn();
    void prune();
    void open_conn();
    void arm_acquire_timer();
    void expire_waiters();
    void fail_all_waiting(const PgError& error);
    // For failures found outside a completion (timers, pump): never completes inline.
    void fail_or_reroute(PgStatement s, const PgError& error);
    void reroute(PgStatement s);
    const std::string& statement_name(const std::string& sql);
    void run_on(PooledConn& pc, PgStatement s);
    void on_statement_done(PooledConn& pc, PgStatement s, PgQueryResult r);
    void advance_fence_then_deliver(PooledConn& pc, PgStatement s, PgQueryResult write);

    EventLoop& loop_;
    const std::string name_;
    const std::string conninfo_;
    const bool replica_;
    const PgPoolOptions& options_;
    RetryBackoff& backoff_;
    WriteFence& fence_;
    Hooks hooks_;
    CircuitBreaker breaker_;
    std::vector<std::unique_ptr<PooledConn>> conns_;
    std::deque<PgStatement> waiting_;  // FIFO; acquire deadlines ascend
    Timer acquire_timer_;
    int failed_connects_ = 0;      // consecutive
    int64_t next_connect_ms_ = 0;  // monotonic; no connect attempt before it
    std::string last_error_;
    // One name per distinct statement text ("spoke_1", ...). The pool's statements are a fixed
    // set of constants, so the table stays small.
    std::unordered_map<std::string, std::string> statement_names_;
    Lifetime lifetime_;  // last: ends before the connections are destroyed
};

}  // namespace spoke
