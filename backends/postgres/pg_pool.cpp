#include "backends/postgres/pg_pool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <list>
#include <string_view>
#include <utility>

#include "backends/breaker_board.hpp"
#include "reactor/log.hpp"
#include "reactor/timer.hpp"

namespace spoke {

void WriteFence::advance(uint64_t to) {
    uint64_t seen = lsn.load();
    while (seen < to && !lsn.compare_exchange_weak(seen, to)) {
    }
}

std::optional<uint64_t> parse_pg_lsn(std::string_view text) {
    const auto half = [](std::string_view s) -> std::optional<uint64_t> {
        if (s.empty() || s.size() > 8) return std::nullopt;
        uint64_t v = 0;
        for (char c : s) {
            int d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return std::nullopt;
            v = v * 16 + static_cast<uint64_t>(d);
        }
        return v;
    };
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto hi = half(text.substr(0, slash));
    const auto lo = half(text.substr(slash + 1));
    if (!hi || !lo) return std::nullopt;
    return (*hi << 32) | *lo;
}

namespace {

constexpr std::string_view kPoolClosed = "PostgreSQL pool closed";

// One row: in recovery, the position reads can see, and the replay lag. A server that is not in
// recovery (a promoted standby, or the primary named as a replica) sees everything it has
// inserted: lag 0.
constexpr const char* kProbeSql =
    "SELECT pg_is_in_recovery(), "
    "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() "
    "END::text, "
    "CASE WHEN NOT pg_is_in_recovery() THEN 0 "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE((EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint, "
    "0) END";

// Readiness and status show errors to operators: one line, bounded, and never a fragment of a
// malformed connection string (which could hold a password).
std::string short_error(std::string_view message) {
    const size_t nl = message.find('\n');
    if (nl != std::string_view::npos) message = message.substr(0, nl);
    if (message.find("connection info string") != std::string_view::npos ||
        message.find("URI") != std::string_view::npos)
        return "invalid connection string";
    if (message.size() > 200) message = message.substr(0, 200);
    return std::string(message);
}

PgError closed_error() {
    return {PgErrorKind::Closed, "", std::string(kPoolClosed)};
}

// A statement waiting for, or running on, a connection. Whoever holds it completes it.
struct Statement {
    PgRoute route = PgRoute::Write;
    std::string sql;
    std::vector<std::optional<std::string>> params;
    Callback<void(PgReply)> done;
    Admission admission;
    int64_t acquire_deadline_ms = 0;
    bool rerouted = false;  // a Read that has left a replica for the primary; never again
};

void deliver(Statement& s, PgQueryResult result, bool from_replica) {
    auto done = std::move(s.done);
    done(PgReply{std::move(result), from_replica});
}

// A connection of the pool. `pending` holds it in place: one of our callbacks still refers to it.
struct PooledConn {
    std::unique_ptr<PgConnection> conn;
    bool pending = false;
    bool retired = false;  // not to be reused (it reached a read-only server as the primary)
};

struct Counts {
    size_t open = 0;  // Idle or Busy
    size_t busy = 0;
    size_t connecting = 0;
};

// The state of one readiness check() run, shared by its per-endpoint parts.
struct CheckRun {
    std::vector<StorageCheck> results;
    size_t remaining = 0;
    Callback<void(std::vector<StorageCheck>)> done;
};

void settle_check(const std::shared_ptr<CheckRun>& run, size_t i, int64_t started,
                  std::string error) {
    StorageCheck& c = run->results[i];
    c.up = error.empty();
    c.error = std::move(error);
    c.latency_ms = monotonic_ms() - started;
    if (--run->remaining == 0) {
        auto done = std::move(run->done);
        done(std::move(run->results));
    }
}

}  // namespace

// Callbacks handed to PgConnection capture `this` together with a weak reference to `alive`:
// PgConnection completes through loop.defer(), possibly after the pool is gone (destroying the
// pool destroys its connections, which then report Closed). An expired token means: touch
// nothing but what the callback itself owns, and complete that with "PostgreSQL pool closed".
struct PgPool::Impl {
    // One server: the primary or a replica.
    struct Endpoint {
        std::string name;
        std::string conninfo;
        bool replica = false;
        CircuitBreaker breaker;
        std::vector<std::unique_ptr<PooledConn>> conns;
        std::deque<Statement> waiting;  // FIFO; acquire deadlines ascend
        std::unique_ptr<Timer> acquire_timer;
        int failed_connects = 0;      // consecutive
        int64_t next_connect_ms = 0;  // monotonic; no connect attempt before it
        std::string last_error;
        // Replicas: the lag probe runs on a connection of its own, so a busy pool never
        // starves it.
        std::unique_ptr<PgConnection> probe_conn;
        bool probe_pending = false;
        bool probe_ok = false;  // last probe succeeded and no read failed since
        int64_t lag_ms = -1;
        uint64_t replay_lsn = 0;

        Endpoint(std::string n, std::string info, bool is_replica, const BreakerPolicy& policy)
            : name(std::move(n)),
              conninfo(std::move(info)),
              replica(is_replica),
              breaker(name, policy) {}
    };

    Impl(EventLoop& l, PgPoolOptions o, WriteFence& f, BreakerBoard* board)
        : loop(l),
          opts(std::move(o)),
          fence(f),
          backoff(opts.reconnect),
          maintenance_timer(l, [this] { maintain(); }),
          probe_timer(l, [this] { probe_replicas(); }) {
        opts.max_conns = std::max<size_t>(opts.max_conns, 1);
        opts.min_conns = std::min(opts.min_conns, opts.max_conns);
        opts.maintenance_interval_ms = std::max<int64_t>(opts.maintenance_interval_ms, 1);
        opts.replica_probe_interval_ms = std::max<int64_t>(opts.replica_probe_interval_ms, 1);
        opts.acquire_timeout_ms = std::max<int64_t>(opts.acquire_timeout_ms, 0);
        add_endpoint("postgres_primary", opts.primary_conninfo, false, board);
        for (size_t i = 0; i < opts.replica_conninfos.size(); ++i)
            add_endpoint("postgres_replica_" + std::to_string(i), opts.replica_conninfos[i], true,
                         board);
    }

    void add_endpoint(std::string name, const std::string& conninfo, bool replica,
                      BreakerBoard* board) {
        auto ep = std::make_unique<Endpoint>(std::move(name), conninfo, replica, opts.breaker);
        Endpoint* raw = ep.get();
        ep->acquire_timer = std::make_unique<Timer>(loop, [this, raw] { expire_waiters(*raw); });
        if (board != nullptr) ep->breaker.publish_to(&board->add(ep->name, opts.owner));
        endpoints.push_back(std::move(ep));
    }

    Endpoint& primary() { return *endpoints.front(); }
    std::weak_ptr<char> token() const { return alive; }

    // ---- connections ----

    static Counts counts(const Endpoint& ep) {
        Counts c;
        for (const auto& pc : ep.conns) {
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

    static PooledConn* free_conn(Endpoint& ep) {
        for (auto& pc : ep.conns)
            if (!pc->pending && !pc->retired && pc->conn->state() == PgConnection::State::Idle)
                return pc.get();
        return nullptr;
    }

    // Drops connections that are lost (an Idle one may notice a server close on its own) or
    // retired, once no callback of ours refers to them.
    static void prune(Endpoint& ep) {
        std::erase_if(ep.conns, [](const std::unique_ptr<PooledConn>& pc) {
            if (pc->pending) return false;
            const auto s = pc->conn->state();
            return pc->retired ||
                   (s != PgConnection::State::Idle && s != PgConnection::State::Connecting);
        });
    }

    static bool backing_off(const Endpoint& ep, int64_t now) { return now < ep.next_connect_ms; }

    void note_connect_success(Endpoint& ep) {
        ep.failed_connects = 0;
        ep.next_connect_ms = 0;
        ep.last_error.clear();
        // The server is back (e.g. a promoted standby): probe now rather than wait out the
        // open period, so writes resume within about one reconnect delay.
        if (ep.breaker.state() == CircuitBreaker::State::Open) ep.breaker.probe_now();
    }

    void note_connect_failure(Endpoint& ep, std::string_view why) {
        ep.failed_connects = std::min(ep.failed_connects + 1, 1 << 20);
        ep.next_connect_ms =
            monotonic_ms() +
            backoff.next_delay_ms(ep.failed_connects).value_or(backoff.policy().cap_ms);
        ep.last_error = short_error(why);
    }

    void open_conn(Endpoint& ep) {
        auto owned = std::make_unique<PooledConn>();
        owned->conn = std::make_unique<PgConnection>(loop, ep.conninfo, opts.timeouts);
        owned->pending = true;
        PooledConn& pc = *owned;
        ep.conns.push_back(std::move(owned));
        pc.conn->connect([this, token = token(), &ep, &pc](Status st) {
            if (token.expired()) return;
            pc.pending = false;
            if (st.ok())
                note_connect_success(ep);
            else
                note_connect_failure(ep, st.error().message);
            pump(ep);
        });
    }

    // ---- statements ----

    // Hands free connections to waiting statements, opens more when allowed, and fails the
    // waiters at once when the endpoint is unreachable and backing off.
    void pump(Endpoint& ep) {
        prune(ep);
        while (!ep.waiting.empty()) {
            PooledConn* pc = free_conn(ep);
            if (pc == nullptr) break;
            Statement s = std::move(ep.waiting.front());
            ep.waiting.pop_front();
            run_on(ep, *pc, std::move(s));
        }
        if (ep.waiting.empty()) {
            ep.acquire_timer->cancel();
            return;
        }
        const Counts c = counts(ep);
        const int64_t now = monotonic_ms();
        if (backing_off(ep, now)) {
            // Nothing open and nothing on the way: waiting cannot help (a failover in progress).
            if (c.open == 0 && c.connecting == 0) {
                fail_all_waiting(
                    ep, {PgErrorKind::Connection, "",
                         ep.name + ": unreachable, reconnecting in " +
                             std::to_string(ep.next_connect_ms - now) + "ms: " + ep.last_error});
                return;
            }
        } else {
            const size_t total = c.open + c.connecting;
            size_t want = ep.waiting.size() > c.connecting ? ep.waiting.size() - c.connecting : 0;
            want = std::min(want, opts.max_conns > total ? opts.max_conns - total : 0);
            for (size_t i = 0; i < want; ++i) open_conn(ep);
        }
        arm_acquire_timer(ep);
    }

    void arm_acquire_timer(Endpoint& ep) {
        if (ep.waiting.empty()) {
            ep.acquire_timer->cancel();
            return;
        }
        const int64_t left = ep.waiting.front().acquire_deadline_ms - monotonic_ms();
        ep.acquire_timer->arm(std::chrono::milliseconds(std::max<int64_t>(left, 0)));
    }

    void expire_waiters(Endpoint& ep) {
        const int64_t now = monotonic_ms();
        const bool reachable = counts(ep).open > 0;
        while (!ep.waiting.empty() && ep.waiting.front().acquire_deadline_ms <= now) {
            Statement s = std::move(ep.waiting.front());
            ep.waiting.pop_front();
            // A full pool is not the server failing, but a probe must report its outcome or
            // its slot stays taken.
            if (!reachable || s.admission.probe) ep.breaker.record_failure(s.admission);
            fail_or_reroute(ep, std::move(s),
                            {PgErrorKind::Timeout, "",
                             ep.name + ": no PostgreSQL connection free within " +
                                 std::to_string(opts.acquire_timeout_ms) + "ms"});
        }
        arm_acquire_timer(ep);
    }

    void fail_all_waiting(Endpoint& ep, const PgError& error) {
        std::deque<Statement> waiting = std::move(ep.waiting);
        ep.waiting.clear();
        ep.acquire_timer->cancel();
        for (Statement& s : waiting) {
            ep.breaker.record_failure(s.admission);
            fail_or_reroute(ep, std::move(s), error);
        }
    }

    // For failures found outside a completion (timers, pump): never completes inline.
    void fail_or_reroute(Endpoint& ep, Statement s, const PgError& error) {
        if (ep.replica && s.route == PgRoute::Read && !s.rerouted) {
            mark_ineligible(ep, error.message);
            s.rerouted = true;
            dispatch(primary(), std::move(s));
            return;
        }
        fail_later(std::move(s), error);
    }

    void fail_later(Statement s, PgError error) {
        loop.defer([done = std::move(s.done), error = std::move(error)]() mutable {
            done(PgReply{std::move(error), false});
        });
    }

    void mark_ineligible(Endpoint& ep, std::string_view why) {
        if (ep.probe_ok)
            Log::write(LogLevel::Warn, "postgres replica skipped until its next probe",
                       {{"endpoint", std::string_view(ep.name)}, {"reason", why}});
        ep.probe_ok = false;
        ep.last_error = short_error(why);
    }

    void dispatch(Endpoint& ep, Statement s) {
        const Admission admission = ep.breaker.admit();
        if (!admission.allowed) {
            if (ep.replica && s.route == PgRoute::Read && !s.rerouted) {
                s.rerouted = true;
                dispatch(primary(), std::move(s));
                return;
            }
            fail_later(std::move(s), {PgErrorKind::Connection, "",
                                      ep.name + ": circuit open, retry in " +
                                          std::to_string(admission.retry_after_ms) + "ms"});
            return;
        }
        s.admission = admission;
        s.acquire_deadline_ms = monotonic_ms() + opts.acquire_timeout_ms;
        ep.waiting.push_back(std::move(s));
        pump(ep);
    }

    // One name per distinct statement text ("spoke_1", ...). The pool's statements are a fixed
    // set of constants, so the table stays small.
    std::string statement_name(const std::string& sql) {
        auto [it, added] = statement_names.try_emplace(sql);
        if (added) it->second = "spoke_" + std::to_string(statement_names.size());
        return it->second;
    }

    void run_on(Endpoint& ep, PooledConn& pc, Statement s) {
        pc.pending = true;
        // A replica Read may have to run again on the primary: keep its text.
        const bool may_reroute = ep.replica && s.route == PgRoute::Read && !s.rerouted;
        std::string sql = may_reroute ? s.sql : std::move(s.sql);
        auto params = may_reroute ? s.params : std::move(s.params);
        // Every pool statement is a prepared one: the server plans it once per connection
        // instead of on every call.
        std::string name = statement_name(sql);
        pc.conn->query_prepared(
            std::move(name), std::move(sql), std::move(params),
            [this, token = token(), &ep, &pc, s = std::move(s)](PgQueryResult r) mutable {
                if (token.expired()) {
                    deliver(s, closed_error(), false);
                    return;
                }
                on_statement_done(ep, pc, std::move(s), std::move(r));
            });
    }

    // Runs from a PgConnection completion (already deferred): completes inline, last thing,
    // so the caller's callback may destroy the pool.
    void on_statement_done(Endpoint& ep, PooledConn& pc, Statement s, PgQueryResult r) {
        pc.pending = false;
        const bool unavailable = !r.ok() && r.error().to_error().code == ErrorCode::Unavailable;
        if (unavailable)
            ep.breaker.record_failure(s.admission);
        else
            ep.breaker.record_success(s.admission);
        if (!r.ok() && !ep.replica && r.error().sqlstate == "25006") pc.retired = true;

        if (s.route == PgRoute::Write && r.ok()) {
            advance_fence_then_deliver(ep, pc, std::move(s), std::move(r));
            return;
        }
        if (unavailable && ep.replica && s.route == PgRoute::Read && !s.rerouted) {
            const bool lost = r.error().kind == PgErrorKind::Connection ||
                              r.error().kind == PgErrorKind::Timeout ||
                              pc.conn->state() != PgConnection::State::Idle;
            if (lost) mark_ineligible(ep, r.error().message);
            pump(ep);
            s.rerouted = true;
            dispatch(primary(), std::move(s));
            return;
        }
        pump(ep);
        deliver(s, std::move(r), ep.replica);
    }

    // The write committed; its WAL position becomes the fence before the caller hears of it.
    // The insert position, not pg_current_wal_lsn(): with synchronous_commit=off the write
    // position can still be short of our commit record, and a replica that replayed only up to
    // there would not show the write.
    void advance_fence_then_deliver(Endpoint& ep, PooledConn& pc, Statement s,
                                    PgQueryResult write) {
        pc.pending = true;
        pc.conn->query("SELECT pg_current_wal_insert_lsn()::text", {},
                       [this, token = token(), &ep, &pc, s = std::move(s),
                        write = std::move(write)](PgQueryResult r) mutable {
                           if (token.expired()) {
                               deliver(s, closed_error(), false);
                               return;
                           }
                           pc.pending = false;
                           std::optional<uint64_t> lsn;
                           if (r.ok() && r.value().rows() == 1 && !r.value().is_null(0, 0))
                               lsn = parse_pg_lsn(r.value().value(0, 0));
                           if (lsn) {
                               fence.advance(*lsn);
                           } else {
                               Log::write(
                                   LogLevel::Warn,
                                   "postgres write committed but its WAL position is unknown; "
                                   "read-your-writes fence not advanced",
                                   {{"reason", r.ok() ? std::string_view("unparsable position")
                                                      : std::string_view(r.error().message)}});
                           }
                           pump(ep);
                           deliver(s, std::move(write), false);
                       });
    }

    // ---- replicas ----

    bool eligible(Endpoint& ep) {
        return ep.replica && ep.probe_ok && ep.lag_ms >= 0 &&
               ep.lag_ms <= opts.replica_max_lag_ms && ep.replay_lsn >= fence.lsn.load() &&
               ep.breaker.state() != CircuitBreaker::State::Open;
    }

    Endpoint* pick_replica() {
        size_t n = 0;
        for (auto& ep : endpoints)
            if (eligible(*ep)) ++n;
        if (n == 0) return nullptr;
        size_t k = next_replica++ % n;
        for (auto& ep : endpoints)
            if (eligible(*ep) && k-- == 0) return ep.get();
        return nullptr;
    }

    void probe_replicas() {
        for (auto& ep : endpoints)
            if (ep->replica) probe(*ep);
        probe_timer.arm(std::chrono::milliseconds(opts.replica_probe_interval_ms));
    }

    void probe(Endpoint& ep) {
        if (ep.probe_pending) return;
        if (ep.probe_conn && ep.probe_conn->state() == PgConnection::State::Idle) {
            run_probe(ep);
            return;
        }
        if (backing_off(ep, monotonic_ms())) {
            ep.probe_ok = false;
            return;
        }
        if (!ep.probe_conn)
            ep.probe_conn = std::make_unique<PgConnection>(loop, ep.conninfo, opts.timeouts);
        ep.probe_pending = true;
        ep.probe_conn->connect([this, token = token(), &ep](Status st) {
            if (token.expired()) return;
            ep.probe_pending = false;
            if (!st.ok()) {
                note_connect_failure(ep, st.error().message);
                ep.probe_ok = false;
                pump(ep);
                return;
            }
            note_connect_success(ep);
            pump(ep);
            run_probe(ep);
        });
    }

    void run_probe(Endpoint& ep) {
        ep.probe_pending = true;
        ep.probe_conn->query(kProbeSql, {}, [this, token = token(), &ep](PgQueryResult r) {
            if (token.expired()) return;
            ep.probe_pending = false;
            on_probe_result(ep, r);
        });
    }

    void on_probe_result(Endpoint& ep, const PgQueryResult& r) {
        if (!r.ok()) {
            ep.probe_ok = false;
            ep.last_error = short_error(r.error().message);
            return;
        }
        const PgResult& res = r.value();
        std::optional<uint64_t> lsn;
        if (res.rows() == 1 && res.columns() == 3 && !res.is_null(0, 1))
            lsn = parse_pg_lsn(res.value(0, 1));
        if (!lsn) {
            ep.probe_ok = false;
            ep.last_error = "replica reports no replay position";
            return;
        }
        ep.replay_lsn = *lsn;
        ep.lag_ms =
            res.is_null(0, 2) ? 0 : std::strtoll(std::string(res.value(0, 2)).c_str(), nullptr, 10);
        ep.probe_ok = true;
    }

    // ---- background ----

    void maintain() {
        const int64_t now = monotonic_ms();
        for (auto& ep : endpoints) {
            pump(*ep);
            if (backing_off(*ep, now)) continue;
            const Counts c = counts(*ep);
            for (size_t n = c.open + c.connecting; n < opts.min_conns; ++n) open_conn(*ep);
        }
        maintenance_timer.arm(std::chrono::milliseconds(opts.maintenance_interval_ms));
    }

    // ---- readiness ----

    void check_endpoint(Endpoint& ep, const std::shared_ptr<CheckRun>& run, size_t i) {
        StorageCheck& c = run->results[i];
        c.name = ep.name;
        c.required = !ep.replica;
        c.breaker = CircuitBreaker::state_name(ep.breaker.state());
        const int64_t started = monotonic_ms();
        if (PooledConn* pc = free_conn(ep)) {
            pc->pending = true;
            pc->conn->query(
                "SELECT 1", {}, [this, token = token(), &ep, pc, run, i, started](PgQueryResult r) {
                    if (token.expired()) {
                        settle_check(run, i, started, std::string(kPoolClosed));
                        return;
                    }
                    pc->pending = false;
                    pump(ep);
                    settle_check(run, i, started, r.ok() ? "" : short_error(r.error().message));
                });
            return;
        }
        // Nothing idle: a connection of the check's own, so a full or empty pool (or an open
        // breaker) does not hide whether the server answers.
        auto it = check_conns.insert(
            check_conns.end(), std::make_unique<PgConnection>(loop, ep.conninfo, opts.timeouts));
        (*it)->connect([this, token = token(), it, run, i, started](Status st) {
            if (token.expired()) {
                settle_check(run, i, started, std::string(kPoolClosed));
                return;
            }
            if (!st.ok()) {
                check_conns.erase(it);
                settle_check(run, i, started, short_error(st.error().message));
                return;
            }
            (*it)->query("SELECT 1", {}, [this, token, it, run, i, started](PgQueryResult r) {
                if (token.expired()) {
                    settle_check(run, i, started, std::string(kPoolClosed));
                    return;
                }
                check_conns.erase(it);
                settle_check(run, i, started, r.ok() ? "" : short_error(r.error().message));
            });
        });
    }

    // ---- shutdown ----

    // Waiters complete here (deferred); statements in flight complete when their connections,
    // destroyed with this Impl, report Closed to callbacks that find the token expired.
    void close() {
        alive.reset();
        maintenance_timer.cancel();
        probe_timer.cancel();
        for (auto& ep : endpoints) {
            ep->acquire_timer->cancel();
            std::deque<Statement> waiting = std::move(ep->waiting);
            ep->waiting.clear();
            for (Statement& s : waiting) fail_later(std::move(s), closed_error());
        }
    }

    EventLoop& loop;
    PgPoolOptions opts;
    WriteFence& fence;
    RetryBackoff backoff;
    std::unordered_map<std::string, std::string> statement_names;  // sql -> name
    std::shared_ptr<char> alive = std::make_shared<char>();
    std::vector<std::unique_ptr<Endpoint>> endpoints;  // [0] is the primary
    std::list<std::unique_ptr<PgConnection>> check_conns;
    Timer maintenance_timer;
    Timer probe_timer;
    size_t next_replica = 0;
    bool started = false;
};

PgPool::PgPool(EventLoop& loop, PgPoolOptions options, WriteFence& fence, BreakerBoard* board)
    : impl_(std::make_unique<Impl>(loop, std::move(options), fence, board)) {}

PgPool::~PgPool() {
    impl_->close();
}

void PgPool::start() {
    if (impl_->started) return;
    impl_->started = true;
    impl_->maintain();
    if (impl_->endpoints.size() > 1) impl_->probe_replicas();
}

void PgPool::query(PgRoute route, std::string sql, std::vector<std::optional<std::string>> params,
                   Callback<void(PgReply)> done) {
    Statement s;
    s.route = route;
    s.sql = std::move(sql);
    s.params = std::move(params);
    s.done = std::move(done);
    Impl::Endpoint* ep = nullptr;
    if (route == PgRoute::Read) ep = impl_->pick_replica();
    impl_->dispatch(ep != nullptr ? *ep : impl_->primary(), std::move(s));
}

void PgPool::check(Callback<void(std::vector<StorageCheck>)> done) {
    auto run = std::make_shared<CheckRun>();
    const size_t n = impl_->endpoints.size();
    run->results.resize(n);
    run->remaining = n;
    run->done = std::move(done);
    for (size_t i = 0; i < n; ++i) impl_->check_endpoint(*impl_->endpoints[i], run, i);
}

std::vector<PgEndpointStatus> PgPool::status() const {
    std::vector<PgEndpointStatus> out;
    for (auto& ep : impl_->endpoints) {
        const Counts c = Impl::counts(*ep);
        PgEndpointStatus st;
        st.name = ep->name;
        st.replica = ep->replica;
        st.open = c.open;
        st.busy = c.busy;
        st.eligible = impl_->eligible(*ep);
        st.lag_ms = ep->lag_ms;
        st.replay_lsn = ep->replay_lsn;
        st.last_error = ep->last_error;
        out.push_back(std::move(st));
    }
    return out;
}

}  // namespace spoke
