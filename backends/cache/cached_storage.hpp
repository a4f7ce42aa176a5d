#pragma once
// CachedStorage: this loop's Storage with the coherent L1 in front of its mutable reads (module,
// versions, latest, module pages). Writes go straight through; once one is durable it drops the
// affected entries here (before the caller hears of it, so the instance that acknowledged a write
// never serves what it replaced) and publishes the invalidation for every other instance.
// Immutable reads pass through to the backend's own caches. A message Redis does not take (this
// loop's connection is down or late) is sent again once it is back.

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "backends/storage.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

namespace spoke {

class CoherentCache;
class EventLoop;
class RedisClient;

class CachedStorage final : public Storage {
  public:
    // `publisher` null: no channel (this instance's writes still drop its own entries).
    CachedStorage(EventLoop& loop, std::unique_ptr<Storage> inner, CoherentCache& cache,
                  RedisClient* publisher);

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
    void put_artifact(std::string key, std::string bytes, Completion<Unit> done) override;
    void get_artifact(std::string key, Completion<std::optional<std::string>> done) override;
    void create_token(ApiToken token, Completion<ApiToken> done) override;
    void find_token(std::string secret_hash, Completion<std::optional<ApiToken>> done) override;
    void list_tokens(Completion<std::vector<ApiToken>> done) override;
    void revoke_token(std::string id, Completion<ApiToken> done) override;
    void record_token_use(std::vector<TokenUse> uses, Completion<Unit> done) override;
    void check_health(Completion<std::vector<StorageCheck>> done) override;
    // Subjects are not cached here: immutable schema reads are answered from the response cache.
    SubjectStore& subjects() override { return inner_->subjects(); }
    void use_shared_cache(SharedCache* cache) override { inner_->use_shared_cache(cache); }
    uint64_t write_position() const override { return inner_->write_position(); }
    bool reads_see(uint64_t position) override { return inner_->reads_see(position); }

    // The storage without the cache: for reads that gate a write (the push's view of a module
    // and its level must be the database's, not a cache's).
    Storage& uncached() { return *inner_; }

  private:
    using ModulePtr = std::shared_ptr<const ModuleWithVersions>;
    // The module with its versions, from L1 or the backend (and then cached).
    void fetch_module(std::string name, Callback<void(Result<ModulePtr>)> done);
    template <class T>
    void complete_later(Callback<void(Result<T>)> done, Result<T> value);
    // Whether a read of `module` (null: of the list) starting now may be cached: it sees every
    // write whose invalidation named a position (CoherentCache::pending_position).
    bool reads_current(const std::string* module);
    // Drops the module here and tells the other instances, with the write's position.
    void written(const std::string& module);
    void publish(const std::string& message);
    // A message Redis did not take: sent again once the connection is back.
    void hold_back(const std::string& message);
    void republish();

    static constexpr size_t kMaxUnpublished = 10'000;
    static constexpr std::chrono::milliseconds kRepublishEvery{100};

    EventLoop& loop_;
    std::unique_ptr<Storage> inner_;
    CoherentCache& cache_;
    RedisClient* publisher_;
    std::set<std::string> unpublished_;  // invalidations not yet taken by Redis
    Timer republish_;
    Lifetime lifetime_;  // last: ends first
};

}  // namespace spoke
