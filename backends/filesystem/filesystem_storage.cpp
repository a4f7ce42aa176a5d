#include "backends/filesystem/filesystem_storage.hpp"

#include "common/clock.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/guarded_work.hpp"

namespace spoke {
namespace {

template <class T, class F>
Result<T> guarded(F&& f) {
    return call_guarded<T>("filesystem storage", std::forward<F>(f));
}

}  // namespace

template <class T>
void FilesystemStorage::complete_later(Completion<T> done, Result<T> result) {
    loop_.defer([done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
    });
}

template <class T>
void FilesystemStorage::on_pool(Callback<Result<T>()> work, Completion<T> done) {
    // Captures only what outlives the job: never `this`, which may go first.
    // Library code may throw (bad_alloc, filesystem_error): run_guarded turns that into Internal.
    run_guarded<T>(pool_, loop_, "filesystem storage", std::move(work), std::move(done));
}

void FilesystemStorage::create_module(std::string name, std::string description,
                                      Completion<Module> done) {
    FilesystemStore* store = &store_;
    on_pool<Module>(
        [store, name = std::move(name), description = std::move(description)] {
            return store->create_module(name, description);
        },
        std::move(done));
}

void FilesystemStorage::get_module(std::string name, Completion<Module> done) {
    complete_later(std::move(done), guarded<Module>([&] { return store_.get_module(name); }));
}

void FilesystemStorage::list_modules(ModuleQuery query, Completion<ModulePage> done) {
    complete_later(std::move(done), guarded<ModulePage>([&]() -> Result<ModulePage> {
                       return store_.list_modules(query);
                   }));
}

void FilesystemStorage::set_compatibility(std::string module, std::string level,
                                          Completion<Module> done) {
    FilesystemStore* store = &store_;
    on_pool<Module>([store, module = std::move(module),
                     level = std::move(level)] { return store->set_compatibility(module, level); },
                    std::move(done));
}

void FilesystemStorage::list_versions(std::string module,
                                      Completion<std::vector<VersionRecord>> done) {
    complete_later(std::move(done), guarded<std::vector<VersionRecord>>(
                                        [&] { return store_.list_versions(module); }));
}

void FilesystemStorage::get_module_with_versions(std::string name,
                                                 Completion<ModuleWithVersions> done) {
    complete_later(std::move(done),
                   guarded<ModuleWithVersions>([&]() -> Result<ModuleWithVersions> {
                       auto module = store_.get_module(name);
                       if (!module) return std::move(module).error();
                       auto versions = store_.list_versions(name);
                       if (!versions) return std::move(versions).error();
                       return ModuleWithVersions{std::move(*module), std::move(*versions)};
                   }));
}

void FilesystemStorage::get_version(std::string module, std::string version,
                                    Completion<VersionSnapshotPtr> done) {
    auto cached =
        guarded<VersionSnapshotPtr>([&] { return store_.cached_version(module, version); });
    if (!cached || *cached) {
        complete_later(std::move(done), std::move(cached));
        return;
    }
    FilesystemStore* store = &store_;
    on_pool<VersionSnapshotPtr>(
        [store, module = std::move(module), version = std::move(version)] {
            return store->get_version(module, version);
        },
        std::move(done));
}

void FilesystemStorage::dependency_closure(std::vector<VersionRef> roots,
                                           Completion<std::vector<VersionRecord>> done) {
    complete_later(std::move(done), guarded<std::vector<VersionRecord>>(
                                        [&] { return store_.dependency_closure(roots); }));
}

void FilesystemStorage::load_versions(std::vector<VersionRef> refs,
                                      Completion<std::vector<VersionSnapshotPtr>> done) {
    using Snapshots = std::vector<VersionSnapshotPtr>;
    // All cached (the common case for hot dependencies): no trip to the pool.
    auto cached = guarded<Snapshots>([&]() -> Result<Snapshots> {
        Snapshots out;
        out.reserve(refs.size());
        for (const auto& ref : refs) {
            auto hit = store_.cached_version(ref.module, ref.version);
            if (!hit) return std::move(hit).error();
            if (!*hit) return Snapshots{};
            out.push_back(std::move(hit).value());
        }
        return out;
    });
    if (!cached || cached->size() == refs.size()) {
        complete_later(std::move(done), std::move(cached));
        return;
    }
    FilesystemStore* store = &store_;
    on_pool<Snapshots>([store, refs = std::move(refs)] { return store->load_versions(refs); },
                       std::move(done));
}

void FilesystemStorage::put_version(VersionDraft draft, Completion<PutVersionResult> done) {
    FilesystemStore* store = &store_;
    on_pool<PutVersionResult>(
        [store, draft = std::move(draft)] { return store->put_version(draft); }, std::move(done));
}

void FilesystemStorage::list_dependents(VersionRef ref, Completion<std::vector<VersionRef>> done) {
    complete_later(std::move(done),
                   guarded<std::vector<VersionRef>>([&] { return store_.list_dependents(ref); }));
}

void FilesystemStorage::put_artifact(std::string key, std::string bytes, Completion<Unit> done) {
    FilesystemStore* store = &store_;
    on_pool<Unit>([store, key = std::move(key),
                   bytes = std::move(bytes)] { return store->put_artifact(key, bytes); },
                  std::move(done));
}

void FilesystemStorage::get_artifact(std::string key, Completion<std::optional<std::string>> done) {
    FilesystemStore* store = &store_;
    on_pool<std::optional<std::string>>(
        [store, key = std::move(key)] { return store->get_artifact(key); }, std::move(done));
}

void FilesystemStorage::create_token(ApiToken token, Completion<ApiToken> done) {
    TokenFiles* tokens = &tokens_;
    on_pool<ApiToken>([tokens, token = std::move(token)] { return tokens->create(token); },
                      std::move(done));
}

void FilesystemStorage::find_token(std::string secret_hash,
                                   Completion<std::optional<ApiToken>> done) {
    // Read from disk every time: the file is the truth, also for a token another process wrote
    // or revoked a moment ago.
    TokenFiles* tokens = &tokens_;
    on_pool<std::optional<ApiToken>>(
        [tokens, secret_hash = std::move(secret_hash)] { return tokens->find(secret_hash); },
        std::move(done));
}

void FilesystemStorage::list_tokens(Completion<std::vector<ApiToken>> done) {
    TokenFiles* tokens = &tokens_;
    on_pool<std::vector<ApiToken>>([tokens] { return tokens->list(); }, std::move(done));
}

void FilesystemStorage::revoke_token(std::string id, Completion<ApiToken> done) {
    TokenFiles* tokens = &tokens_;
    on_pool<ApiToken>([tokens, id = std::move(id)] { return tokens->revoke(id, wall_ms()); },
                      std::move(done));
}

void FilesystemStorage::record_token_use(std::vector<TokenUse> uses, Completion<Unit> done) {
    TokenFiles* tokens = &tokens_;
    on_pool<Unit>([tokens, uses = std::move(uses)] { return tokens->record_use(uses); },
                  std::move(done));
}

void FilesystemStorage::check_health(Completion<std::vector<StorageCheck>> done) {
    FilesystemStore* store = &store_;
    const int64_t started = monotonic_ms();
    on_pool<std::vector<StorageCheck>>(
        [store, started]() -> Result<std::vector<StorageCheck>> {
            Status probe = store->probe();
            StorageCheck check;
            check.name = "storage";
            check.up = probe.ok();
            check.latency_ms = monotonic_ms() - started;
            if (!probe) check.error = probe.error().message;
            return std::vector<StorageCheck>{std::move(check)};
        },
        std::move(done));
}

}  // namespace spoke
