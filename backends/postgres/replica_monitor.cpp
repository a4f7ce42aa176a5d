#include "backends/postgres/replica_monitor.hpp"

#include <chrono>
#include <cstdlib>
#include <string>

#include "backends/postgres/pg_error_text.hpp"
#include "backends/resilience/breaker_board.hpp"
#include "common/clock.hpp"
#include "reactor/log.hpp"

namespace spoke {

namespace {

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

}  // namespace

ReplicaMonitor::ReplicaMonitor(EventLoop& loop, std::vector<PgEndpoint*> replicas,
                               const PgPoolOptions& options, WriteFence& fence)
    : loop_(loop), options_(options), fence_(fence), timer_(loop, [this] { probe_all(); }) {
    probes_.reserve(replicas.size());
    for (PgEndpoint* ep : replicas) probes_.push_back(Probe{ep, nullptr});
}

void ReplicaMonitor::start() {
    if (!probes_.empty()) probe_all();
}

void ReplicaMonitor::stop() {
    lifetime_.end();
    timer_.cancel();
}

bool ReplicaMonitor::eligible(size_t replica) {
    const Probe& p = probes_[replica];
    return p.ok && p.lag_ms >= 0 && p.lag_ms <= options_.replica_max_lag_ms &&
           p.replay_lsn >= fence_.lsn.load() &&
           p.endpoint->breaker().state() != CircuitBreaker::State::Open;
}

bool ReplicaMonitor::replayed(uint64_t position) {
    for (size_t i = 0; i < probes_.size(); ++i) {
        if (eligible(i) && probes_[i].replay_lsn < position) return false;
    }
    return true;
}

void ReplicaMonitor::mark_lost(size_t replica, std::string_view why) {
    Probe& p = probes_[replica];
    if (p.ok)
        Log::write(LogLevel::Warn, "postgres replica skipped until its next probe",
                   {{"endpoint", std::string_view(p.endpoint->name())}, {"reason", why}});
    p.ok = false;
    p.endpoint->set_last_error(why);
}

void ReplicaMonitor::probe_all() {
    for (Probe& p : probes_) probe(p);
    timer_.arm(std::chrono::milliseconds(options_.replica_probe_interval_ms));
}

void ReplicaMonitor::probe(Probe& p) {
    if (p.pending) return;
    if (p.conn && p.conn->state() == PgConnection::State::Idle) {
        run_probe(p);
        return;
    }
    PgEndpoint& ep = *p.endpoint;
    if (ep.backing_off(monotonic_ms())) {
        p.ok = false;
        return;
    }
    if (!p.conn) p.conn = std::make_unique<PgConnection>(loop_, ep.conninfo(), options_.timeouts);
    p.pending = true;
    p.conn->connect([alive = lifetime_.guard(), this, &p](Status st) {
        if (!alive.alive()) return;
        p.pending = false;
        PgEndpoint& ep = *p.endpoint;
        if (!st.ok()) {
            ep.note_connect_failure(st.error().message);
            p.ok = false;
            ep.pump();
            return;
        }
        ep.note_connect_success();
        ep.pump();
        run_probe(p);
    });
}

void ReplicaMonitor::run_probe(Probe& p) {
    p.pending = true;
    p.conn->query(kProbeSql, {}, [alive = lifetime_.guard(), this, &p](PgQueryResult r) {
        if (!alive.alive()) return;
        p.pending = false;
        on_probe_result(p, r);
    });
}

void ReplicaMonitor::on_probe_result(Probe& p, const PgQueryResult& r) {
    if (!r.ok()) {
        p.ok = false;
        p.endpoint->set_last_error(r.error().message);
        return;
    }
    const PgResult& res = r.value();
    std::optional<uint64_t> lsn;
    if (res.rows() == 1 && res.columns() == 3 && !res.is_null(0, 1))
        lsn = parse_pg_lsn(res.value(0, 1));
    if (!lsn) {
        p.ok = false;
        p.endpoint->set_last_error("replica reports no replay position");
        return;
    }
    p.replay_lsn = *lsn;
    p.lag_ms =
        res.is_null(0, 2) ? 0 : std::strtoll(std::string(res.value(0, 2)).c_str(), nullptr, 10);
    p.ok = true;
    if (BreakerGauge* gauge = p.endpoint->breaker().gauge()) {
        gauge->replica_lag_ms.store(p.lag_ms, std::memory_order_relaxed);
    }
}

}  // namespace spoke
