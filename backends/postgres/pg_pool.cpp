#include "backends/postgres/pg_pool.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "backends/postgres/pg_endpoint.hpp"
#include "backends/postgres/pg_health.hpp"
#include "backends/postgres/pg_router.hpp"
#include "backends/postgres/replica_monitor.hpp"
#include "backends/resilience/breaker_board.hpp"
#include "backends/resilience/retry_backoff.hpp"
#include "reactor/timer.hpp"
#include "reactor/trace_scope.hpp"

namespace spoke {

namespace {

// Clamps what would make the pool spin or stall.
PgPoolOptions normalized(PgPoolOptions o) {
    o.max_conns = std::max<size_t>(o.max_conns, 1);
    o.min_conns = std::min(o.min_conns, o.max_conns);
    o.maintenance_interval_ms = std::max<int64_t>(o.maintenance_interval_ms, 1);
    o.replica_probe_interval_ms = std::max<int64_t>(o.replica_probe_interval_ms, 1);
    o.acquire_timeout_ms = std::max<int64_t>(o.acquire_timeout_ms, 0);
    return o;
}

}  // namespace

// Wires the parts together. Each part that hands callbacks to a PgConnection guards them with a
// Lifetime of its own, ended by close(); the connections, destroyed with the parts, then report
// Closed to callbacks that touch nothing of the pool and complete their statements with
// "PostgreSQL pool closed". Declaration order is destruction order reversed: the parts that
// hold endpoint pointers (monitor, router, health) go before the endpoints.
struct PgPool::Impl {
    Impl(EventLoop& l, PgPoolOptions o, WriteFence& fence, BreakerBoard* board)
        : opts(normalized(std::move(o))),
          backoff(opts.reconnect),
          endpoints(make_endpoints(l, fence, board)),
          monitor(l, replicas(), opts, fence),
          router(endpoints, monitor),
          health(l, opts.timeouts),
          maintenance_timer(l, [this] { maintain(); }) {}

    std::vector<std::unique_ptr<PgEndpoint>> make_endpoints(EventLoop& loop, WriteFence& fence,
                                                            BreakerBoard* board) {
        std::vector<std::unique_ptr<PgEndpoint>> out;
        const auto add = [&](std::string name, const std::string& conninfo, bool replica,
                             size_t replica_index) {
            PgEndpoint::Hooks hooks;
            hooks.reroute = [this](PgStatement s) { router.to_primary(std::move(s)); };
            if (replica) {
                hooks.replica_lost = [this, replica_index](std::string_view why) {
                    monitor.mark_lost(replica_index, why);
                };
            } else {
                hooks.replica_lost = [](std::string_view) {};  // the primary never leaves
            }
            auto ep = std::make_unique<PgEndpoint>(loop, std::move(name), conninfo, replica, opts,
                                                   backoff, fence, std::move(hooks));
            if (board != nullptr) ep->breaker().publish_to(&board->add(ep->name(), opts.owner));
            out.push_back(std::move(ep));
        };
        add("postgres_primary", opts.primary_conninfo, false, 0);
        for (size_t i = 0; i < opts.replica_conninfos.size(); ++i)
            add("postgres_replica_" + std::to_string(i), opts.replica_conninfos[i], true, i);
        return out;
    }

    std::vector<PgEndpoint*> replicas() const {
        std::vector<PgEndpoint*> out;
        for (size_t i = 1; i < endpoints.size(); ++i) out.push_back(endpoints[i].get());
        return out;
    }

    // min_conns top-up and reconnects, on every endpoint.
    void maintain() {
        for (auto& ep : endpoints) ep->maintain(opts.min_conns);
        maintenance_timer.arm(std::chrono::milliseconds(opts.maintenance_interval_ms));
    }

    // Waiters complete here (deferred); statements and checks in flight complete when their
    // connections, destroyed with this Impl, report Closed.
    void close() {
        maintenance_timer.cancel();
        monitor.stop();
        health.stop();
        for (auto& ep : endpoints) ep->close();
    }

    PgPoolOptions opts;
    RetryBackoff backoff;
    std::vector<std::unique_ptr<PgEndpoint>> endpoints;  // [0] is the primary
    ReplicaMonitor monitor;
    PgRouter router;
    PgHealthCheck health;
    Timer maintenance_timer;
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
    impl_->monitor.start();
}

namespace {

// Statement text in a span is capped: some are long, and the text is only there to recognise them.
constexpr size_t kMaxTracedStatement = 1024;

// The statement's first keyword ("SELECT", "WITH", "INSERT"): the span's name.
std::string_view statement_operation(std::string_view sql) {
    size_t begin = sql.find_first_not_of(" \t\r\n(");
    if (begin == std::string_view::npos) return "SQL";
    size_t end = begin;
    while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end])) != 0) ++end;
    return end > begin ? sql.substr(begin, end - begin) : std::string_view("SQL");
}

std::string_view route_name(PgRoute route) {
    switch (route) {
        case PgRoute::Write:
            return "write";
        case PgRoute::ReadPrimary:
            return "read_primary";
        case PgRoute::Read:
            return "read";
    }
    return "read";
}

}  // namespace

void PgPool::query(PgRoute route, std::string sql, std::vector<std::optional<std::string>> params,
                   Callback<void(PgReply)> done) {
    const std::string_view operation = statement_operation(sql);
    ChildSpan span = ChildSpan::start(operation, Span::Kind::Client);
    if (span.active()) {
        span.set("db.system.name", "postgresql");
        span.set("db.operation.name", std::string(operation));
        span.set("db.query.text", sql.substr(0, kMaxTracedStatement));
        span.set("spoke.db.route", std::string(route_name(route)));
        done = continue_in(std::move(span), std::move(done), [](ChildSpan& sp, const PgReply& r) {
            sp.set("spoke.db.replica", r.from_replica ? "true" : "false");
            if (r.result.ok()) return false;
            sp.set("error.type",
                   r.result.error().sqlstate.empty() ? "connection" : r.result.error().sqlstate);
            sp.set("error.message", r.result.error().message);
            return true;
        });
    }
    PgStatement s;
    s.route = route;
    s.sql = std::move(sql);
    s.params = std::move(params);
    s.done = std::move(done);
    impl_->router.route(std::move(s));
}

bool PgPool::reads_see(uint64_t position) {
    return impl_->monitor.replayed(position);
}

void PgPool::check(Callback<void(std::vector<StorageCheck>)> done) {
    impl_->health.check(impl_->endpoints, std::move(done));
}

std::vector<PgEndpointStatus> PgPool::status() const {
    std::vector<PgEndpointStatus> out;
    for (size_t i = 0; i < impl_->endpoints.size(); ++i) {
        PgEndpoint& ep = *impl_->endpoints[i];
        const PgEndpoint::Counts c = ep.counts();
        PgEndpointStatus st;
        st.name = ep.name();
        st.replica = ep.replica();
        st.open = c.open;
        st.busy = c.busy;
        if (ep.replica()) {
            st.eligible = impl_->monitor.eligible(i - 1);
            st.lag_ms = impl_->monitor.lag_ms(i - 1);
            st.replay_lsn = impl_->monitor.replay_lsn(i - 1);
        }
        st.last_error = ep.last_error();
        out.push_back(std::move(st));
    }
    return out;
}

}  // namespace spoke
