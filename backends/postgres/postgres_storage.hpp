#pragma once
// PostgresStorage: one loop's Storage on PostgreSQL (metadata, through PgPool) and S3 (file
// bytes, through S3ObjectStore).
//
// Lifetime rule for every completion below: one that touches `this` carries a guard of
// `lifetime_` and checks it first; once the storage is gone it completes its caller with
// Unavailable "PostgreSQL storage closed" instead, on error and success paths alike. (PgPool
// and S3ObjectStore also complete with errors once destroyed; nothing relies on that.)

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/postgres/pg_pool.hpp"
#include "backends/postgres/postgres_subject_store.hpp"
#include "backends/postgres/registry_sql.hpp"
#include "backends/s3/s3_object_store.hpp"
#include "backends/storage.hpp"
#include "reactor/lifetime.hpp"

namespace spoke {

struct PostgresShared;

class PostgresStorage final : public Storage {
  public:
    PostgresStorage(EventLoop& loop, PgPoolOptions pool, S3Config s3, ObjectStoreOptions objects,
                    PostgresShared& shared);

    void create_module(std::string name, std::string description, Completion<Module> done) override;
    void get_module(std::string name, Completion<Module> done) override;
    void list_modules(ModuleQuery query, Completion<ModulePage> done) override;
    void set_compatibility(std::string module, std::string level, Completion<Module> done) override;
    void list_versions(std::string module, Completion<std::vector<VersionRecord>> done) override;
    void get_module_with_versions(std::string name, Completion<ModuleWithVersions> done) override;
    void get_version(std::string module, std::string version,
                     Completion<VersionSnapshotPtr> done) override;
    void dependency_closure(std::vector<VersionRef> roots,
                            Completion<std::vector<VersionRecord>> done) override;
    void load_versions(std::vector<VersionRef> refs,
                       Completion<std::vector<VersionSnapshotPtr>> done) override;
    void put_version(VersionDraft draft, Completion<PutVersionResult> done) override;
    void list_dependents(VersionRef ref, Completion<std::vector<VersionRef>> done) override;
    // Artifacts are S3 objects at artifact_location(key).
    void put_artifact(std::string key, std::string bytes, Completion<Unit> done) override;
    void get_artifact(std::string key, Completion<std::optional<std::string>> done) override;
    // API tokens: the api_tokens table (token_sql.hpp); writes and find_token on the primary.
    void create_token(ApiToken token, Completion<ApiToken> done) override;
    void find_token(std::string secret_hash, Completion<std::optional<ApiToken>> done) override;
    void list_tokens(Completion<std::vector<ApiToken>> done) override;
    void revoke_token(std::string id, Completion<ApiToken> done) override;
    void record_token_use(std::vector<TokenUse> uses, Completion<Unit> done) override;
    void check_health(Completion<std::vector<StorageCheck>> done) override;
    // The Confluent dialect's tables (subject_sql.hpp), through this loop's pool.
    SubjectStore& subjects() override { return subjects_; }
    // Version snapshots go there after a database and S3 read, and come from there before one.
    void use_shared_cache(SharedCache* cache) override { shared_cache_ = cache; }
    // The write fence (shared by every loop), and this loop's replicas against it.
    uint64_t write_position() const override;
    bool reads_see(uint64_t position) override { return pool_.reads_see(position); }

  private:
    // A version from the database, then its contents (attach_contents).
    void fetch_version(std::string module, std::string version, bool shared_cache_checked,
                       Completion<VersionSnapshotPtr> done);
    // attach_contents' state: the records, what is found so far, what is still missing.
    struct ContentsWork {
        std::vector<VersionRecord> records;
        std::vector<VersionSnapshotPtr> out;  // same order; null until found
        std::vector<size_t> missing;          // indexes of `out` still null
        size_t waiting = 0;                   // shared-cache lookups not yet answered
        Completion<std::vector<VersionSnapshotPtr>> done;
    };
    void contents_from_s3(std::unique_ptr<ContentsWork> work);
    // Into the process's snapshot cache and the shared cache.
    void remember_snapshot(const VersionSnapshotPtr& snap);
    template <class T>
    using Decoder = std::function<Result<T>(const PgResult&)>;

    // A read on a replica when one is eligible. A "does not exist" answer from a replica is
    // asked again of the primary before it counts: the replica may not have replayed it yet.
    template <class T>
    void read(const char* sql, registry_sql::Params params, Decoder<T> decode, Completion<T> done);

    // Records of exact refs or "latest", one per ref, in order; NotFound names the first missing.
    void resolve(std::vector<VersionRef> refs,
                 Completion<std::vector<std::pair<int64_t, VersionRecord>>> done);
    // Adds file contents to records: from the process's snapshot cache, else the shared cache
    // (unless the caller asked it already), else S3 (and then into both caches).
    void attach_contents(std::vector<VersionRecord> records,
                         Completion<std::vector<VersionSnapshotPtr>> done,
                         bool shared_cache_checked = false);
    void insert_version(VersionDraft draft, Completion<PutVersionResult> done);

    EventLoop& loop_;
    PostgresShared& shared_;
    PgPool pool_;
    S3ObjectStore objects_;
    PostgresSubjectStore subjects_{loop_, pool_};
    SharedCache* shared_cache_ = nullptr;  // L2 of immutable snapshots; may be null
    Lifetime lifetime_;  // last: ends before pool_ and objects_ complete their calls as closed
};

}  // namespace spoke
