#pragma once
// PostgresBackend: the scale-out StorageBackend (metadata in PostgreSQL, file bytes in S3).
// PostgresBackendOptions: everything it needs from the configuration. PostgresShared: the state
// every loop's PostgresStorage shares (the write fence, the breaker board, the snapshot cache).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/postgres/pg_pool.hpp"
#include "backends/resilience/breaker_board.hpp"
#include "backends/s3/s3_client.hpp"
#include "backends/s3/s3_object_store.hpp"
#include "backends/snapshot_cache.hpp"
#include "backends/storage.hpp"

namespace spoke {

struct PostgresBackendOptions {
    PgPoolOptions pool;  // max_conns/min_conns here are per process; split per loop
    unsigned loops = 1;  // API loops sharing max_conns/min_conns
    S3Config s3;
    ObjectStoreOptions objects;
    size_t snapshot_cache_bytes = 32u << 20;
    // Start-up: how long to keep trying to reach PostgreSQL and S3 before giving up.
    std::chrono::milliseconds startup_timeout{30000};
};

struct PostgresShared {
    WriteFence fence;
    BreakerBoard board;
    SnapshotCache snapshots;
    explicit PostgresShared(size_t cache_bytes) : snapshots(cache_bytes) {}
};

class PostgresBackend final : public StorageBackend {
  public:
    explicit PostgresBackend(PostgresBackendOptions options);

    std::string name() const override { return "postgres"; }
    std::unique_ptr<Storage> attach(EventLoop& loop, WorkerPool& pool) override;
    std::unique_ptr<Storage> attach_for_health(EventLoop& loop, WorkerPool& pool) override;
    void append_metrics(std::string& out) const override;
    PostgresShared& shared() { return shared_; }

  private:
    std::unique_ptr<Storage> make(EventLoop& loop, WorkerPool& pool, PgPoolOptions pool_options,
                                  std::string owner);

    PostgresBackendOptions options_;
    PostgresShared shared_;
};

// Blocks the calling (main) thread until the database schema is current (migrations applied
// under the advisory lock; a newer schema is refused) and the bucket answers; retries
// unreachable servers until options.startup_timeout. Errors are for the operator: a missing
// bucket, refused credentials, a schema newer than this binary.
Result<std::unique_ptr<StorageBackend>> open_postgres_backend(PostgresBackendOptions options);

}  // namespace spoke
