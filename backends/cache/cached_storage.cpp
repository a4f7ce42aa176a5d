#include "backends/cache/cached_storage.hpp"

#include "backends/cache/coherent_cache.hpp"
#include "backends/cache/invalidation_channel.hpp"
#include "backends/redis/redis_client.hpp"
#include "common/clock.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

namespace {

std::string page_key(const ModuleQuery& q) {
    std::string key = q.prefix;
    key.append(1, '\0').append(std::to_string(q.limit)).append(1, '\0');
    key.append(std::to_string(q.offset)).append(1, '\0').append(q.after);
    return key;
}

}  // namespace

CachedStorage::CachedStorage(EventLoop& loop, std::unique_ptr<Storage> inner, CoherentCache& cache,
                             RedisClient* publisher)
    : loop_(loop),
      inner_(std::move(inner)),
      cache_(cache),
      publisher_(publisher),
      republish_(loop, [this] { republish(); }) {}

template <class T>
void CachedStorage::complete_later(Callback<void(Result<T>)> done, Result<T> value) {
    // The Storage contract: never complete inside the call.
    loop_.defer(
        [done = std::move(done), value = std::move(value)]() mutable { done(std::move(value)); });
}

void CachedStorage::fetch_module(std::string name, Callback<void(Result<ModulePtr>)> done) {
    if (ModulePtr hit = cache_.module(name, monotonic_ms())) {
        return complete_later(std::move(done), Result<ModulePtr>(std::move(hit)));
    }
    const uint64_t ticket = cache_.ticket();
    const bool cacheable = reads_current(&name);
    inner_->get_module_with_versions(
        name, [this, guard = lifetime_.guard(), name, ticket, cacheable,
               done = std::move(done)](Result<ModuleWithVersions> found) mutable {
            if (!found) return done(found.error());
            auto shared = std::make_shared<const ModuleWithVersions>(std::move(*found));
            if (cacheable && guard.alive()) cache_.put_module(name, shared, ticket, monotonic_ms());
            done(std::move(shared));
        });
}

void CachedStorage::get_module(std::string name, Completion<Module> done) {
    fetch_module(std::move(name), [done = std::move(done)](Result<ModulePtr> m) mutable {
        if (!m) return done(m.error());
        done((*m)->module);
    });
}

void CachedStorage::get_module_with_versions(std::string name,
                                             Completion<ModuleWithVersions> done) {
    fetch_module(std::move(name), [done = std::move(done)](Result<ModulePtr> m) mutable {
        if (!m) return done(m.error());
        done(ModuleWithVersions(**m));
    });
}

void CachedStorage::list_versions(std::string module, Completion<std::vector<VersionRecord>> done) {
    fetch_module(std::move(module), [done = std::move(done)](Result<ModulePtr> m) mutable {
        if (!m) return done(m.error());
        done((*m)->versions);
    });
}

void CachedStorage::list_modules(ModuleQuery query, Completion<ModulePage> done) {
    std::string key = page_key(query);
    if (auto hit = cache_.page(key, monotonic_ms())) {
        return complete_later(std::move(done), Result<ModulePage>(ModulePage(*hit)));
    }
    const uint64_t ticket = cache_.ticket();
    const bool cacheable = reads_current(nullptr);
    inner_->list_modules(std::move(query), [this, guard = lifetime_.guard(), key = std::move(key),
                                            ticket, cacheable, done = std::move(done)](
                                               Result<ModulePage> page) mutable {
        if (page && cacheable && guard.alive()) {
            cache_.put_page(key, std::make_shared<const ModulePage>(*page), ticket, monotonic_ms());
        }
        done(std::move(page));
    });
}

void CachedStorage::get_version(std::string module, std::string version,
                                Completion<VersionSnapshotPtr> done) {
    if (version != "latest")
        return inner_->get_version(std::move(module), std::move(version), std::move(done));
    // "latest" is mutable; the version it names is not (the backend caches that).
    if (auto exact = cache_.latest(module, monotonic_ms())) {
        return inner_->get_version(std::move(module), std::move(*exact), std::move(done));
    }
    const uint64_t ticket = cache_.ticket();
    const bool cacheable = reads_current(&module);
    std::string name = module;
    inner_->get_version(
        std::move(name), std::move(version),
        [this, guard = lifetime_.guard(), module = std::move(module), ticket, cacheable,
         done = std::move(done)](Result<VersionSnapshotPtr> found) mutable {
            if (found && cacheable && guard.alive()) {
                cache_.put_latest(module, (*found)->record.version, ticket, monotonic_ms());
            }
            done(std::move(found));
        });
}

bool CachedStorage::reads_current(const std::string* module) {
    const uint64_t position = cache_.pending_position(module, monotonic_ms());
    return position == 0 || inner_->reads_see(position);
}

void CachedStorage::written(const std::string& module) {
    // The write's position: every loop shares the fence, which is at least this write's.
    const uint64_t position = inner_->write_position();
    cache_.invalidate_module(module, position);
    publish(encode_invalidation({Invalidation::Kind::Module, module, position}));
}

void CachedStorage::publish(const std::string& message) {
    if (publisher_ == nullptr) return;
    if (!publisher_->ready()) return hold_back(message);
    publisher_->command({"PUBLISH", std::string(kInvalidationChannel), message},
                        [this, guard = lifetime_.guard(), message](Result<RedisReply> reply) {
                            if (guard.alive() && (!reply || reply->is_error())) hold_back(message);
                        });
}

void CachedStorage::hold_back(const std::string& message) {
    // Another instance may stay subscribed through this connection's trouble (its own
    // connection is fine): it must still hear of the write, late rather than never. Past the
    // bound, the oldest are dropped (the receivers' entry lifetime bounds those).
    if (unpublished_.size() < kMaxUnpublished) unpublished_.insert(message);
    if (!republish_.armed()) republish_.arm(kRepublishEvery);
}

void CachedStorage::republish() {
    if (publisher_ == nullptr || unpublished_.empty()) return;
    if (!publisher_->ready()) {
        republish_.arm(kRepublishEvery);
        return;
    }
    std::set<std::string> messages;
    messages.swap(unpublished_);
    for (const auto& m : messages) publish(m);
}

void CachedStorage::create_module(std::string name, std::string description,
                                  Completion<Module> done) {
    inner_->create_module(
        std::move(name), std::move(description),
        [this, guard = lifetime_.guard(), done = std::move(done)](Result<Module> m) mutable {
            if (m && guard.alive()) written(m->name);
            done(std::move(m));
        });
}

void CachedStorage::set_compatibility(std::string module, std::string level,
                                      Completion<Module> done) {
    inner_->set_compatibility(
        std::move(module), std::move(level),
        [this, guard = lifetime_.guard(), done = std::move(done)](Result<Module> m) mutable {
            if (m && guard.alive()) written(m->name);
            done(std::move(m));
        });
}

void CachedStorage::put_version(VersionDraft draft, Completion<PutVersionResult> done) {
    std::string module = draft.record.module_name;
    inner_->put_version(std::move(draft),
                        [this, guard = lifetime_.guard(), module = std::move(module),
                         done = std::move(done)](Result<PutVersionResult> r) mutable {
                            if (r && guard.alive()) written(module);
                            done(std::move(r));
                        });
}

void CachedStorage::revoke_token(std::string id, Completion<ApiToken> done) {
    inner_->revoke_token(std::move(id), [this, guard = lifetime_.guard(),
                                         done = std::move(done)](Result<ApiToken> t) mutable {
        if (t && guard.alive()) publish(encode_invalidation({Invalidation::Kind::Tokens, {}}));
        done(std::move(t));
    });
}

void CachedStorage::dependency_closure(std::vector<VersionRef> roots,
                                       Completion<std::vector<VersionRecord>> done) {
    inner_->dependency_closure(std::move(roots), std::move(done));
}
void CachedStorage::load_versions(std::vector<VersionRef> refs,
                                  Completion<std::vector<VersionSnapshotPtr>> done) {
    inner_->load_versions(std::move(refs), std::move(done));
}
void CachedStorage::list_dependents(VersionRef ref, Completion<std::vector<VersionRef>> done) {
    inner_->list_dependents(std::move(ref), std::move(done));
}
void CachedStorage::put_artifact(std::string key, std::string bytes, Completion<Unit> done) {
    inner_->put_artifact(std::move(key), std::move(bytes), std::move(done));
}
void CachedStorage::get_artifact(std::string key, Completion<std::optional<std::string>> done) {
    inner_->get_artifact(std::move(key), std::move(done));
}
void CachedStorage::create_token(ApiToken token, Completion<ApiToken> done) {
    inner_->create_token(std::move(token), std::move(done));
}
void CachedStorage::find_token(std::string secret_hash, Completion<std::optional<ApiToken>> done) {
    inner_->find_token(std::move(secret_hash), std::move(done));
}
void CachedStorage::list_tokens(Completion<std::vector<ApiToken>> done) {
    inner_->list_tokens(std::move(done));
}
void CachedStorage::record_token_use(std::vector<TokenUse> uses, Completion<Unit> done) {
    inner_->record_token_use(std::move(uses), std::move(done));
}
void CachedStorage::check_health(Completion<std::vector<StorageCheck>> done) {
    inner_->check_health(std::move(done));
}

}  // namespace spoke
