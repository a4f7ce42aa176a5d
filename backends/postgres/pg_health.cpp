#include "backends/postgres/pg_health.hpp"

#include <string>
#include <utility>

#include "backends/postgres/pg_error_text.hpp"
#include "backends/postgres/pg_statement.hpp"
#include "common/clock.hpp"

namespace spoke {

// The state of one check() run, shared by its per-endpoint parts.
struct PgHealthCheck::Run {
    std::vector<StorageCheck> results;
    size_t remaining = 0;
    Callback<void(std::vector<StorageCheck>)> done;

    void settle(size_t i, int64_t started, std::string error) {
        StorageCheck& c = results[i];
        c.up = error.empty();
        c.error = std::move(error);
        c.latency_ms = monotonic_ms() - started;
        if (--remaining == 0) {
            auto finished = std::move(done);
            finished(std::move(results));
        }
    }
};

namespace {
std::string outcome(const PgQueryResult& r) {
    return r.ok() ? std::string() : operator_error_text(r.error().message);
}
}  // namespace

void PgHealthCheck::check(const std::vector<std::unique_ptr<PgEndpoint>>& endpoints,
                          Callback<void(std::vector<StorageCheck>)> done) {
    auto run = std::make_shared<Run>();
    const size_t n = endpoints.size();
    run->results.resize(n);
    run->remaining = n;
    run->done = std::move(done);
    for (size_t i = 0; i < n; ++i) check_endpoint(*endpoints[i], run, i);
}

void PgHealthCheck::check_endpoint(PgEndpoint& ep, const std::shared_ptr<Run>& run, size_t i) {
    StorageCheck& c = run->results[i];
    c.name = ep.name();
    c.required = !ep.replica();
    c.breaker = CircuitBreaker::state_name(ep.breaker().state());
    const int64_t started = monotonic_ms();
    Callback<void(PgQueryResult)> on_idle = [run, i, started](PgQueryResult r) {
        run->settle(i, started, outcome(r));
    };
    if (ep.run_on_idle("SELECT 1", on_idle)) return;
    // Nothing idle: a connection of the check's own, so a full or empty pool (or an open
    // breaker) does not hide whether the server answers.
    auto it = conns_.insert(conns_.end(),
                            std::make_unique<PgConnection>(loop_, ep.conninfo(), timeouts_));
    (*it)->connect([alive = lifetime_.guard(), this, it, run, i, started](Status st) mutable {
        if (!alive.alive()) return run->settle(i, started, std::string(kPgPoolClosed));
        if (!st.ok()) {
            conns_.erase(it);
            return run->settle(i, started, operator_error_text(st.error().message));
        }
        (*it)->query("SELECT 1", {},
                     [alive = std::move(alive), this, it, run, i, started](PgQueryResult r) {
                         if (!alive.alive())
                             return run->settle(i, started, std::string(kPgPoolClosed));
                         conns_.erase(it);
                         run->settle(i, started, outcome(r));
                     });
    });
}

}  // namespace spoke
