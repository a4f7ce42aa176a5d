#pragma once
// Storage: the asynchronous registry store that handlers call. One instance per event loop.
//
// Contract for every method:
//  - called on the owning loop's thread;
//  - `done` runs later on that same loop, never inside the call (no re-entrancy);
//  - `done` runs exactly once, also on failure (Unavailable when the backend is down or late);
//  - versions are addressed by module name and version string; "latest" and the spelling with or
//    without a leading 'v' are resolved by the store (see registry/semver.hpp).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/subject_store.hpp"
#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "registry/api_token.hpp"
#include "registry/model.hpp"

namespace spoke {

class EventLoop;
class WorkerPool;
class SharedCache;

template <class T>
using Completion = Callback<void(Result<T>)>;

// Health of a storage dependency, for /health/ready.
struct StorageCheck {
    std::string name;  // "storage", "postgres_primary", ...
    bool up = false;
    int64_t latency_ms = 0;
    std::string error;     // short, no secrets or paths
    bool required = true;  // false: being down degrades (e.g. a read replica) but keeps ready
    std::string breaker;   // "closed", "open", "half_open"; empty when none guards it
};

class Storage {
  public:
    virtual ~Storage() = default;

    // ModuleExists if the name is taken. created_at/updated_at are set by the store.
    virtual void create_module(std::string name, std::string description,
                               Completion<Module> done) = 0;
    virtual void get_module(std::string name, Completion<Module> done) = 0;
    virtual void list_modules(ModuleQuery query, Completion<ModulePage> done) = 0;
    // Sets the module's compatibility level (the caller has checked it is one of the seven) and
    // completes with the updated module. NotFound if the module does not exist.
    virtual void set_compatibility(std::string module, std::string level,
                                   Completion<Module> done) = 0;

    // Newest first by semver precedence. NotFound if the module does not exist.
    virtual void list_versions(std::string module, Completion<std::vector<VersionRecord>> done) = 0;
    // get_module and list_versions in one read (one statement on postgres).
    virtual void get_module_with_versions(std::string name,
                                          Completion<ModuleWithVersions> done) = 0;
    // One version with contents. NotFound names what is missing (module or version).
    virtual void get_version(std::string module, std::string version,
                             Completion<VersionSnapshotPtr> done) = 0;

    // The transitive closure of `roots` (each may say "latest"), dependency-first: every record
    // comes after all of its own dependencies; roots appear too. UnknownDependency names the
    // first ref that does not exist.
    virtual void dependency_closure(std::vector<VersionRef> roots,
                                    Completion<std::vector<VersionRecord>> done) = 0;
    // Contents of exact versions, in the order given. NotFound if any is missing.
    virtual void load_versions(std::vector<VersionRef> refs,
                               Completion<std::vector<VersionSnapshotPtr>> done) = 0;

    // Atomically store a new version. Exactly one of several concurrent pushes of one version
    // wins. The same version already stored: Identical if its digest equals the draft's,
    // else VersionExists. NotFound if the module does not exist.
    virtual void put_version(VersionDraft draft, Completion<PutVersionResult> done) = 0;

    // Versions whose direct dependencies include `ref`, sorted by module then semver.
    virtual void list_dependents(VersionRef ref, Completion<std::vector<VersionRef>> done) = 0;

    // Code generation artifacts (archives), content-addressed: `key` (is_artifact_key) is derived
    // from everything that determines the bytes, so storing a key again stores the same bytes and
    // is harmless, and any instance may read what another stored. BadRequest for a bad key.
    virtual void put_artifact(std::string key, std::string bytes, Completion<Unit> done) = 0;
    // The bytes stored under `key`, or nullopt when nothing is.
    virtual void get_artifact(std::string key, Completion<std::optional<std::string>> done) = 0;

    // API tokens. Records hold only the secret's hash; a token another process (the
    // `spoke-server token create` command) stored is visible to the next find_token.
    // Stores a new token (id and hash are random and unique; a clash is Internal).
    virtual void create_token(ApiToken token, Completion<ApiToken> done) = 0;
    // The token whose secret hashes to `secret_hash` (expired and revoked ones too: the caller
    // decides), nullopt when there is none.
    virtual void find_token(std::string secret_hash, Completion<std::optional<ApiToken>> done) = 0;
    // Every token, revoked ones included, oldest first (created_at, then id).
    virtual void list_tokens(Completion<std::vector<ApiToken>> done) = 0;
    // Sets revoked_at to now unless it is already set; completes with the stored record.
    // NotFound for an unknown id.
    virtual void revoke_token(std::string id, Completion<ApiToken> done) = 0;
    // Raises each token's last_used_at to the time given (never lowers it); unknown hashes are
    // ignored. Called in batches, not per request.
    virtual void record_token_use(std::vector<TokenUse> uses, Completion<Unit> done) = 0;

    // The Confluent dialect's subjects and schemas, kept beside the modules (docs/confluent.md).
    virtual SubjectStore& subjects() = 0;

    // Probes for readiness (one entry per dependency of this backend).
    virtual void check_health(Completion<std::vector<StorageCheck>> done) = 0;

    // An L2 shared by every instance (Redis) for immutable reads, or null; it outlives this
    // Storage. A backend whose own reads are as cheap (the filesystem's) ignores it.
    virtual void use_shared_cache(SharedCache* cache) { (void)cache; }

    // Read replicas: where this process's last acknowledged write sits in the database's log
    // (0: no such position, as for the filesystem), and whether every read this Storage would
    // route now sees the write at `position` (a replica that has not replayed it would not).
    // The coherent cache uses both so that another instance's write is never cached away.
    virtual uint64_t write_position() const { return 0; }
    virtual bool reads_see(uint64_t position) {
        (void)position;
        return true;
    }
};

// True for an artifact key: 64 lowercase hex characters (a SHA-256), safe as a path or object
// name component.
bool is_artifact_key(std::string_view key);
// "artifacts/<first 2 hex>/<key>": where an artifact lives under a storage root or in a bucket.
std::string artifact_location(std::string_view key);

// Process-wide backend state (indexes, pools' configuration); hands out per-loop Storage.
class StorageBackend {
  public:
    virtual ~StorageBackend() = default;
    virtual std::string name() const = 0;
    // Per-loop adapter; lives on `loop`, may use `pool` for blocking work. Both outlive it.
    virtual std::unique_ptr<Storage> attach(EventLoop& loop, WorkerPool& pool) = 0;
    // The control plane's adapter, used only for readiness probes (may hold fewer resources).
    virtual std::unique_ptr<Storage> attach_for_health(EventLoop& loop, WorkerPool& pool) {
        return attach(loop, pool);
    }
    // Prometheus text about the backend's dependencies (breakers, pools); nothing by default.
    virtual void append_metrics(std::string& out) const { (void)out; }
};

}  // namespace spoke
