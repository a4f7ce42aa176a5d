#include "backends/postgres/postgres_backend.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include "backends/postgres/postgres_storage.hpp"
#include "backends/postgres/schema_migrations.hpp"
#include "backends/postgres/write_fence.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/log.hpp"

namespace spoke {
namespace {

// Runs `start` on a private loop on the calling thread until it reports a result.
template <class T>
Result<T> run_on_startup_loop(
    const std::function<void(EventLoop&, Callback<void(Result<T>)>)>& start) {
    EventLoop loop(0);
    std::optional<Result<T>> out;
    start(loop, [&](Result<T> r) {
        out = std::move(r);
        loop.stop();
    });
    loop.run();
    return std::move(*out);
}

// The server answered and refused us for good (a missing database or role, failed
// authentication): waiting will not help, unlike a server that is down, starting or full.
bool is_permanent(const Error& e) {
    const std::string& m = e.message;
    if (m.find("FATAL:") == std::string::npos) return false;
    for (const char* reason : {"does not exist", "authentication failed", "no pg_hba.conf entry",
                               "not permitted to log in"}) {
        if (m.find(reason) != std::string::npos) return true;
    }
    return false;
}

// Retries `attempt` while it fails Unavailable (and not for good), until `timeout` has passed.
template <class T>
Result<T> retry_until(std::chrono::milliseconds timeout, const char* what,
                      const std::function<Result<T>()>& attempt) {
    const int64_t deadline = monotonic_ms() + timeout.count();
    RetryBackoff backoff({.base_ms = 200, .cap_ms = 2000, .max_attempts = 1 << 30});
    for (int failures = 1;; ++failures) {
        Result<T> r = attempt();
        if (r || r.error().code != ErrorCode::Unavailable || is_permanent(r.error()) ||
            monotonic_ms() >= deadline) {
            return r;
        }
        const int64_t delay = std::max<int64_t>(50, backoff.next_delay_ms(failures).value_or(1000));
        Log::write(LogLevel::Warn, "start-up: dependency not reachable yet, retrying",
                   {{"dependency", std::string_view(what)},
                    {"error", std::string_view(r.error().message)},
                    {"retry_in_ms", delay}});
        std::this_thread::sleep_for(std::chrono::milliseconds(
            std::min<int64_t>(delay, std::max<int64_t>(0, deadline - monotonic_ms()))));
    }
}

// The primary's WAL position once the schema is current.
Result<int64_t> migrate_once(const PgPoolOptions& pool) {
    return run_on_startup_loop<int64_t>([&](EventLoop& loop, Callback<void(Result<int64_t>)> done) {
        auto conn = std::make_unique<PgConnection>(loop, pool.primary_conninfo, pool.timeouts);
        PgConnection* c = conn.get();
        c->connect([&loop, conn = std::move(conn), done = std::move(done)](Status st) mutable {
            if (!st) return done(std::move(st).error());
            PgConnection* c = conn.get();
            MigrationRunner runner(*c);
            runner.run([conn = std::move(conn), done = std::move(done)](Result<int> r) mutable {
                if (!r) return done(std::move(r).error());
                // Replicas must not serve reads until they have replayed the schema: the
                // fence starts at the primary's WAL position after migrating.
                PgConnection* c = conn.get();
                c->query("SELECT pg_current_wal_insert_lsn()::text", {},
                         [conn = std::move(conn), done = std::move(done)](PgQueryResult q) mutable {
                             conn.reset();
                             if (!q) return done(q.error().to_error());
                             auto lsn = q.value().rows() == 1 ? parse_pg_lsn(q.value().value(0, 0))
                                                              : std::nullopt;
                             if (!lsn) return done(Error::internal("unreadable WAL position"));
                             done(static_cast<int64_t>(*lsn));
                         });
            });
            (void)loop;
        });
    });
}

// 0 once the bucket answers (the value is unused; Result<int64_t> like the migration step).
Result<int64_t> check_bucket_once(const S3Config& config) {
    return run_on_startup_loop<int64_t>([&](EventLoop& loop, Callback<void(Result<int64_t>)> done) {
        auto client = std::make_unique<S3Client>(loop, config);
        S3Client* c = client.get();
        c->head_bucket([client = std::move(client), done = std::move(done)](Status st) mutable {
            // Destroying the client inside its own completion is allowed (deferred delivery).
            client.reset();
            if (!st) return done(std::move(st).error());
            done(int64_t{0});
        });
    });
}

}  // namespace

PostgresBackend::PostgresBackend(PostgresBackendOptions options)
    : options_(std::move(options)), shared_(options_.snapshot_cache_bytes) {}

std::unique_ptr<Storage> PostgresBackend::make(EventLoop& loop, WorkerPool&,
                                               PgPoolOptions pool_options, std::string owner) {
    pool_options.owner = owner;
    ObjectStoreOptions objects = options_.objects;
    objects.owner = std::move(owner);
    return std::make_unique<PostgresStorage>(loop, std::move(pool_options), options_.s3,
                                             std::move(objects), shared_);
}

std::unique_ptr<Storage> PostgresBackend::attach(EventLoop& loop, WorkerPool& pool) {
    // SPOKE_POSTGRES_MAX_CONNS/MIN_CONNS are per process: each loop gets its share (at least one).
    PgPoolOptions p = options_.pool;
    const size_t loops = std::max(1u, options_.loops);
    p.max_conns = std::max<size_t>(1, options_.pool.max_conns / loops);
    p.min_conns = std::min(p.max_conns, (options_.pool.min_conns + loops - 1) / loops);
    return make(loop, pool, std::move(p), "loop" + std::to_string(loop.index()));
}

std::unique_ptr<Storage> PostgresBackend::attach_for_health(EventLoop& loop, WorkerPool& pool) {
    // Readiness probes only: one connection per endpoint, opened on demand.
    PgPoolOptions p = options_.pool;
    p.max_conns = 1;
    p.min_conns = 0;
    return make(loop, pool, std::move(p), "health");
}

void PostgresBackend::append_metrics(std::string& out) const {
    shared_.board.append_metrics(out);
}

Result<std::unique_ptr<StorageBackend>> open_postgres_backend(PostgresBackendOptions options) {
    auto schema_lsn = retry_until<int64_t>(options.startup_timeout, "postgres_primary",
                                           [&] { return migrate_once(options.pool); });
    if (!schema_lsn) {
        return Error::internal("PostgreSQL: " + schema_lsn.error().message);
    }
    Log::write(LogLevel::Info, "database schema is current",
               {{"schema_version", static_cast<int64_t>(embedded_migrations().back().version)}});
    auto bucket = retry_until<int64_t>(options.startup_timeout, "s3",
                                       [&] { return check_bucket_once(options.s3); });
    if (!bucket) {
        return Error::internal("S3 bucket " + quote_value(options.s3.bucket) + " at " +
                               options.s3.endpoint + ": " + bucket.error().message);
    }
    auto backend = std::make_unique<PostgresBackend>(std::move(options));
    backend->shared().fence.advance(insert_lsn_as_record_end(static_cast<uint64_t>(*schema_lsn)));
    return std::unique_ptr<StorageBackend>(std::move(backend));
}

}  // namespace spoke
