#include "backends/postgres/pg_endpoint.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "backends/postgres/pg_error_text.hpp"
#include "backends/resilience/breaker_board.hpp"
#include "common/clock.hpp"

namespace spoke {

PgEndpoint::PgEndpoint(EventLoop& loop, std::string name, std::string conninfo, bool replica,
                       const PgPoolOptions& options, RetryBackoff& backoff, WriteFence& fence,
                       Hooks hooks)
    : loop_(loop),
      name_(std::move(name)),
      conninfo_(std::move(conninfo)),
      replica_(replica),
      options_(options),
      backoff_(backoff),
      fence_(fence),
      hooks_(std::move(hooks)),
      breaker_(name_, options.breaker),
      acquire_timer_(loop, [this] { expire_waiters(); }) {}

void PgEndpoint::set_last_error(std::string_view why) {
    last_error_ = operator_error_text(why);
}

PgEndpoint::Counts PgEndpoint::counts() const {
    Counts c;
    for (const auto& pc : conns_) {
        if (pc->retired) continue;
        switch (pc->conn->state()) {
            case PgConnection::State::Busy:
                ++c.busy;
                [[fallthrough]];
            case PgConnection::State::Idle:
                ++c.open;
                break;
            case PgConnection::State::Connecting:
                ++c.connecting;
                break;
            default:
                break;
        }
    }
    return c;
}

PgEndpoint::PooledConn* PgEndpoint::free_conn() {
    for (auto& pc : conns_)
        if (!pc->pending && !pc->retired && pc->conn->state() == PgConnection::State::Idle)
            return pc.get();
    return nullptr;
}

// Drops connections that are lost (an Idle one may notice a server close on its own) or
// retired, once no callback of ours refers to them.
void PgEndpoint::prune() {
    std::erase_if(conns_, [](const std::unique_ptr<PooledConn>& pc) {
        if (pc->pending) return false;
        const auto s = pc->conn->state();
        return pc->retired ||
               (s != PgConnection::State::Idle && s != PgConnection::State::Connecting);
    });
}

void PgEndpoint::note_connect_success() {
    failed_connects_ = 0;
    next_connect_ms_ = 0;
    last_error_.clear();
    // The server is back (e.g. a promoted standby): probe now rather than wait out the open
    // period, so writes resume within about one reconnect delay.
    if (breaker_.state() == CircuitBreaker::State::Open) breaker_.probe_now();
}

void PgEndpoint::note_connect_failure(std::string_view why) {
    failed_connects_ = std::min(failed_connects_ + 1, 1 << 20);
    next_connect_ms_ = monotonic_ms() +
                       backoff_.next_delay_ms(failed_connects_).value_or(backoff_.policy().cap_ms);
    last_error_ = operator_error_text(why);
}

void PgEndpoint::open_conn() {
    auto owned = std::make_unique<PooledConn>();
    owned->conn = std::make_unique<PgConnection>(loop_, conninfo_, options_.timeouts);
    owned->pending = true;
    PooledConn& pc = *owned;
    conns_.push_back(std::move(owned));
    pc.conn->connect([alive = lifetime_.guard(), this, &pc](Status st) {
        if (!alive.alive()) return;
        pc.pending = false;
        if (st.ok())
            note_connect_success();
        else
            note_connect_failure(st.error().message);
        pump();
    });
}

void PgEndpoint::maintain(size_t min_conns) {
    pump();
    if (backing_off(monotonic_ms())) return;
    const Counts c = counts();
    for (size_t n = c.open + c.connecting; n < min_conns; ++n) open_conn();
    publish_pool();
}

void PgEndpoint::pump() {
    serve_waiting();
    publish_pool();
}

void PgEndpoint::publish_pool() {
    BreakerGauge* gauge = breaker_.gauge();
    if (gauge == nullptr) return;
    const Counts c = counts();
    constexpr auto relaxed = std::memory_order_relaxed;
    gauge->pool_max.store(options_.max_conns, relaxed);
    gauge->pool_open.store(c.open, relaxed);
    gauge->pool_busy.store(c.busy, relaxed);
    gauge->pool_connecting.store(c.connecting, relaxed);
    gauge->pool_waiting.store(waiting_.size(), relaxed);
}

void PgEndpoint::serve_waiting() {
    prune();
    while (!waiting_.empty()) {
        PooledConn* pc = free_conn();
        if (pc == nullptr) break;
        PgStatement s = std::move(waiting_.front());
        waiting_.pop_front();
        run_on(*pc, std::move(s));
    }
    if (waiting_.empty()) {
        acquire_timer_.cancel();
        return;
    }
    const Counts c = counts();
    const int64_t now = monotonic_ms();
    if (backing_off(now)) {
        // Nothing open and nothing on the way: waiting cannot help (a failover in progress).
        if (c.open == 0 && c.connecting == 0) {
            fail_all_waiting({PgErrorKind::Connection, "",
                              name_ + ": unreachable, reconnecting in " +
                                  std::to_string(next_connect_ms_ - now) + "ms: " + last_error_});
            return;
        }
    } else {
        const size_t total = c.open + c.connecting;
        size_t want = waiting_.size() > c.connecting ? waiting_.size() - c.connecting : 0;
        want = std::min(want, options_.max_conns > total ? options_.max_conns - total : 0);
        for (size_t i = 0; i < want; ++i) open_conn();
    }
    arm_acquire_timer();
}

void PgEndpoint::arm_acquire_timer() {
    if (waiting_.empty()) {
        acquire_timer_.cancel();
        return;
    }
    const int64_t left = waiting_.front().acquire_deadline_ms - monotonic_ms();
    acquire_timer_.arm(std::chrono::milliseconds(std::max<int64_t>(left, 0)));
}

void PgEndpoint::expire_waiters() {
    const int64_t now = monotonic_ms();
    const bool reachable = counts().open > 0;
    while (!waiting_.empty() && waiting_.front().acquire_deadline_ms <= now) {
        PgStatement s = std::move(waiting_.front());
        waiting_.pop_front();
        // A full pool is not the server failing, but a probe must report its outcome or its slot
        // stays taken.
        if (!reachable || s.admission.probe) breaker_.record_failure(s.admission);
        fail_or_reroute(std::move(s), {PgErrorKind::Timeout, "",
                                       name_ + ": no PostgreSQL connection free within " +
                                           std::to_string(options_.acquire_timeout_ms) + "ms"});
    }
    arm_acquire_timer();
}

void PgEndpoint::fail_all_waiting(const PgError& error) {
    std::deque<PgStatement> waiting = std::move(waiting_);
    waiting_.clear();
    acquire_timer_.cancel();
    for (PgStatement& s : waiting) {
        breaker_.record_failure(s.admission);
        fail_or_reroute(std::move(s), error);
    }
}

void PgEndpoint::fail_or_reroute(PgStatement s, const PgError& error) {
    if (replica_ && s.may_leave_replica()) {
        hooks_.replica_lost(error.message);
        reroute(std::move(s));
        return;
    }
    fail_later(std::move(s), error);
}

void PgEndpoint::reroute(PgStatement s) {
    s.rerouted = true;
    hooks_.reroute(std::move(s));
}

void PgEndpoint::fail_later(PgStatement s, PgError error) {
    loop_.defer([done = std::move(s.done), error = std::move(error)]() mutable {
        done(PgReply{std::move(error), false});
    });
}

void PgEndpoint::enqueue(PgStatement s, const Admission& admission) {
    s.admission = admission;
    s.acquire_deadline_ms = monotonic_ms() + options_.acquire_timeout_ms;
    waiting_.push_back(std::move(s));
    pump();
}

const std::string& PgEndpoint::statement_name(const std::string& sql) {
    auto [it, added] = statement_names_.try_emplace(sql);
    if (added) it->second = "spoke_" + std::to_string(statement_names_.size());
    return it->second;
}

void PgEndpoint::run_on(PooledConn& pc, PgStatement s) {
    pc.pending = true;
    // A replica Read may have to run again on the primary: keep its text.
    const bool may_reroute = replica_ && s.may_leave_replica();
    std::string sql = may_reroute ? s.sql : std::move(s.sql);
    auto params = may_reroute ? s.params : std::move(s.params);
    // Every pool statement is a prepared one: the server plans it once per connection instead of
    // on every call.
    std::string name = statement_name(sql);
    pc.conn->query_prepared(
        std::move(name), std::move(sql), std::move(params),
        [alive = lifetime_.guard(), this, &pc, s = std::move(s)](PgQueryResult r) mutable {
            if (!alive.alive()) return deliver(s, pool_closed_error(), false);
            on_statement_done(pc, std::move(s), std::move(r));
        });
}

// Runs from a PgConnection completion (already deferred): completes inline, last thing, so the
// caller's callback may destroy the pool.
void PgEndpoint::on_statement_done(PooledConn& pc, PgStatement s, PgQueryResult r) {
    pc.pending = false;
    const bool unavailable = !r.ok() && r.error().to_error().code == ErrorCode::Unavailable;
    if (unavailable)
        breaker_.record_failure(s.admission);
    else
        breaker_.record_success(s.admission);
    if (!r.ok() && !replica_ && r.error().sqlstate == "25006") pc.retired = true;

    if (s.route == PgRoute::Write && r.ok()) {
        advance_fence_then_deliver(pc, std::move(s), std::move(r));
        return;
    }
    if (unavailable && replica_ && s.may_leave_replica()) {
        const bool lost = r.error().kind == PgErrorKind::Connection ||
                          r.error().kind == PgErrorKind::Timeout ||
                          pc.conn->state() != PgConnection::State::Idle;
        if (lost) hooks_.replica_lost(r.error().message);
        pump();
        reroute(std::move(s));
        return;
    }
    pump();
    deliver(s, std::move(r), replica_);
}

// The write committed; its WAL position becomes the fence before the caller hears of it.
void PgEndpoint::advance_fence_then_deliver(PooledConn& pc, PgStatement s, PgQueryResult write) {
    pc.pending = true;
    pc.conn->query(kCommitPositionSql, {},
                   [alive = lifetime_.guard(), this, &pc, s = std::move(s),
                    write = std::move(write)](PgQueryResult position) mutable {
                       if (!alive.alive()) return deliver(s, pool_closed_error(), false);
                       pc.pending = false;
                       advance_fence_to_commit(fence_, position);
                       pump();
                       deliver(s, std::move(write), false);
                   });
}

bool PgEndpoint::run_on_idle(const char* sql, Callback<void(PgQueryResult)>& done) {
    PooledConn* pc = free_conn();
    if (pc == nullptr) return false;
    pc->pending = true;
    pc->conn->query(
        sql, {},
        [alive = lifetime_.guard(), this, pc, done = std::move(done)](PgQueryResult r) mutable {
            if (!alive.alive()) return done(pool_closed_error());
            pc->pending = false;
            pump();
            done(std::move(r));
        });
    return true;
}

void PgEndpoint::close() {
    lifetime_.end();
    acquire_timer_.cancel();
    std::deque<PgStatement> waiting = std::move(waiting_);
    waiting_.clear();
    for (PgStatement& s : waiting) fail_later(std::move(s), pool_closed_error());
}

}  // namespace spoke
