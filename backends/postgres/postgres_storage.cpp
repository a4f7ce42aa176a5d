#include "backends/postgres/postgres_storage.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "backends/cache/shared_cache.hpp"
#include "backends/cache/snapshot_codec.hpp"
#include "backends/postgres/postgres_backend.hpp"
#include "backends/postgres/token_sql.hpp"
#include "backends/storage_errors.hpp"
#include "backends/token_contract.hpp"
#include "common/clock.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/log.hpp"
#include "registry/semver.hpp"
#include "registry/version_graph.hpp"

namespace spoke {
namespace {

using registry_sql::Params;
using ResolvedVersions = std::vector<std::pair<int64_t, VersionRecord>>;

// What a completion gives its caller when the storage it would touch is gone.
Error storage_closed() {
    return Error::unavailable("PostgreSQL storage closed");
}

bool is_absence(const Error& e) {
    return e.code == ErrorCode::NotFound || e.code == ErrorCode::UnknownDependency;
}

bool is_true(std::string_view v) {
    return v == "t";
}

// modules[] and version keys[] ("latest" kept) for kResolveRefs and kClosure.
Params ref_params(const std::vector<VersionRef>& refs) {
    std::vector<std::string> modules, keys;
    for (const auto& r : refs) {
        modules.push_back(r.module);
        keys.push_back(r.version == "latest" ? std::string("latest") : version_key(r.version));
    }
    return {registry_sql::text_array(modules), registry_sql::text_array(keys)};
}

// The rows of one ref (at most one: an exact version, or the first of the `latest` order)
// -> the version it names.
Result<std::pair<int64_t, VersionRecord>> choose(const VersionRef& ref, bool module_exists,
                                                 std::vector<std::pair<int64_t, VersionRecord>> c) {
    if (!module_exists) return storage_errors::module_missing(ref.module);
    if (c.empty()) {
        return ref.version == "latest" ? storage_errors::no_versions(ref.module)
                                       : storage_errors::version_missing(ref.module, ref.version);
    }
    return std::move(c.front());
}

Result<ResolvedVersions> decode_resolved(const std::vector<VersionRef>& refs, const PgResult& r) {
    std::vector<std::vector<std::pair<int64_t, VersionRecord>>> candidates(refs.size());
    std::vector<bool> module_exists(refs.size(), false);
    for (int row = 0; row < r.rows(); ++row) {
        const std::string ord_text(r.value(row, 0));
        const size_t ord = std::stoul(ord_text);
        if (ord == 0 || ord > refs.size()) return Error::internal("unexpected ref ordinal");
        module_exists[ord - 1] = is_true(r.value(row, 1));
        int64_t id = 0;
        auto v = registry_sql::decode_version(r, row, 2, &id);
        if (!v) return std::move(v).error();
        if (*v) candidates[ord - 1].emplace_back(id, std::move(**v));
    }
    ResolvedVersions out;
    for (size_t i = 0; i < refs.size(); ++i) {
        auto chosen = choose(refs[i], module_exists[i], std::move(candidates[i]));
        if (!chosen) return std::move(chosen).error();
        out.push_back(std::move(*chosen));
    }
    return out;
}

Result<std::vector<VersionRecord>> decode_closure(const std::vector<VersionRef>& roots,
                                                  const PgResult& r) {
    std::unordered_map<std::string, VersionRecord> by_identity;
    std::vector<std::vector<std::pair<int64_t, VersionRecord>>> root_candidates(roots.size());
    for (int row = 0; row < r.rows(); ++row) {
        int64_t id = 0;
        auto v = registry_sql::decode_version(r, row, 1, &id);
        if (!v) return std::move(v).error();
        if (!*v) continue;
        if (!r.is_null(row, 0)) {
            std::string_view ords = r.value(row, 0);
            while (!ords.empty()) {
                size_t comma = ords.find(',');
                const size_t ord = std::stoul(std::string(ords.substr(0, comma)));
                if (ord == 0 || ord > roots.size()) return Error::internal("unexpected ordinal");
                root_candidates[ord - 1].emplace_back(id, **v);
                ords =
                    comma == std::string_view::npos ? std::string_view() : ords.substr(comma + 1);
            }
        }
        std::string identity = version_identity((*v)->module_name, (*v)->version);
        by_identity.emplace(std::move(identity), std::move(**v));
    }
    std::vector<VersionRef> exact_roots;
    for (size_t i = 0; i < roots.size(); ++i) {
        if (root_candidates[i].empty()) {
            return storage_errors::unknown_dependency(roots[i].to_string());
        }
        auto chosen = choose(roots[i], true, std::move(root_candidates[i]));
        if (!chosen) return storage_errors::unknown_dependency(roots[i].to_string());
        exact_roots.push_back({chosen->second.module_name, chosen->second.version});
    }
    return dependency_first_closure(
        exact_roots, [&](const VersionRef& ref) -> Result<const VersionRecord*> {
            auto it = by_identity.find(version_identity(ref.module, ref.version));
            if (it == by_identity.end()) return storage_errors::unknown_dependency(ref.to_string());
            return &it->second;
        });
}

}  // namespace

PostgresStorage::PostgresStorage(EventLoop& loop, PgPoolOptions pool, S3Config s3,
                                 ObjectStoreOptions objects, PostgresShared& shared)
    : loop_(loop),
      shared_(shared),
      pool_(loop, std::move(pool), shared.fence, &shared.board),
      objects_(loop, std::move(s3), std::move(objects), &shared.board) {
    pool_.start();
}

uint64_t PostgresStorage::write_position() const {
    return shared_.fence.lsn.load();
}

template <class T>
void PostgresStorage::read(const char* sql, Params params, Decoder<T> decode, Completion<T> done) {
    Params retry_params = params;
    pool_.query(PgRoute::Read, sql, std::move(params),
                [this, alive = lifetime_.guard(), sql, retry_params = std::move(retry_params),
                 decode = std::move(decode), done = std::move(done)](PgReply reply) mutable {
                    if (!reply.result.ok()) return done(reply.result.error().to_error());
                    Result<T> decoded = decode(reply.result.value());
                    if (decoded.ok() || !reply.from_replica || !is_absence(decoded.error())) {
                        return done(std::move(decoded));
                    }
                    if (!alive.alive()) return done(storage_closed());
                    pool_.query(PgRoute::ReadPrimary, sql, std::move(retry_params),
                                [decode = std::move(decode),
                                 done = std::move(done)](PgReply again) mutable {
                                    if (!again.result.ok())
                                        return done(again.result.error().to_error());
                                    done(decode(again.result.value()));
                                });
                });
}

void PostgresStorage::create_module(std::string name, std::string description,
                                    Completion<Module> done) {
    const TimestampMs now = wall_ms();
    Module module{name, description, now, now, std::nullopt, 0};
    pool_.query(PgRoute::Write, registry_sql::kCreateModule,
                {std::move(name), std::move(description), std::to_string(now)},
                [module = std::move(module), done = std::move(done)](PgReply reply) mutable {
                    if (!reply.result.ok()) return done(reply.result.error().to_error());
                    if (reply.result.value().rows() == 0) {
                        return done(storage_errors::module_exists(module.name));
                    }
                    done(std::move(module));
                });
}

void PostgresStorage::get_module(std::string name, Completion<Module> done) {
    read<Module>(
        registry_sql::kGetModule, {name},
        [name](const PgResult& r) -> Result<Module> {
            if (r.rows() == 0) return storage_errors::module_missing(name);
            return registry_sql::decode_module(r, 0, 0);
        },
        std::move(done));
}

void PostgresStorage::set_compatibility(std::string module, std::string level,
                                        Completion<Module> done) {
    std::string name = module;
    pool_.query(PgRoute::Write, registry_sql::kSetCompatibility,
                {std::move(module), std::move(level), std::to_string(wall_ms())},
                [name = std::move(name), done = std::move(done)](PgReply reply) mutable {
                    if (!reply.result.ok()) return done(reply.result.error().to_error());
                    const PgResult& r = reply.result.value();
                    if (r.rows() == 0) return done(storage_errors::module_missing(name));
                    done(registry_sql::decode_module(r, 0, 0));
                });
}

void PostgresStorage::list_modules(ModuleQuery query, Completion<ModulePage> done) {
    read<ModulePage>(
        registry_sql::kListModules,
        {query.prefix, std::to_string(query.limit), std::to_string(query.offset), query.after},
        [](const PgResult& r) -> Result<ModulePage> {
            ModulePage page;
            for (int row = 0; row < r.rows(); ++row) {
                page.total = std::stoull(std::string(r.value(row, 0)));
                if (r.is_null(row, 1)) continue;
                auto m = registry_sql::decode_module(r, row, 1);
                if (!m) return std::move(m).error();
                page.modules.push_back(std::move(*m));
            }
            return page;
        },
        std::move(done));
}

void PostgresStorage::list_versions(std::string module,
                                    Completion<std::vector<VersionRecord>> done) {
    read<std::vector<VersionRecord>>(
        registry_sql::kListVersions, {module},
        [module](const PgResult& r) -> Result<std::vector<VersionRecord>> {
            std::vector<VersionRecord> out;
            for (int row = 0; row < r.rows(); ++row) {
                if (!is_true(r.value(row, 0))) return storage_errors::module_missing(module);
                auto v = registry_sql::decode_version(r, row, 1);
                if (!v) return std::move(v).error();
                if (*v) out.push_back(std::move(**v));
            }
            sort_newest_first(out);
            return out;
        },
        std::move(done));
}

void PostgresStorage::get_module_with_versions(std::string name,
                                               Completion<ModuleWithVersions> done) {
    read<ModuleWithVersions>(
        registry_sql::kModuleWithVersions, {name},
        [name](const PgResult& r) -> Result<ModuleWithVersions> {
            if (r.rows() == 0) return storage_errors::module_missing(name);
            auto module = registry_sql::decode_module(r, 0, 0);
            if (!module) return std::move(module).error();
            ModuleWithVersions out{std::move(*module), {}};
            for (int row = 0; row < r.rows(); ++row) {
                auto v = registry_sql::decode_version(r, row, registry_sql::kModuleColumns);
                if (!v) return std::move(v).error();
                if (*v) out.versions.push_back(std::move(**v));
            }
            sort_newest_first(out.versions);
            return out;
        },
        std::move(done));
}

void PostgresStorage::resolve(std::vector<VersionRef> refs, Completion<ResolvedVersions> done) {
    Params params = ref_params(refs);
    read<ResolvedVersions>(
        registry_sql::kResolveRefs, std::move(params),
        [refs = std::move(refs)](const PgResult& r) { return decode_resolved(refs, r); },
        std::move(done));
}

void PostgresStorage::attach_contents(std::vector<VersionRecord> records,
                                      Completion<std::vector<VersionSnapshotPtr>> done,
                                      bool shared_cache_checked) {
    auto work = std::make_unique<ContentsWork>();
    work->out.resize(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
        work->out[i] =
            shared_.snapshots.get(version_identity(records[i].module_name, records[i].version));
        if (!work->out[i]) work->missing.push_back(i);
    }
    work->records = std::move(records);
    work->done = std::move(done);
    if (work->missing.empty()) {
        // Cached: still completes later, never inside the call.
        loop_.defer([work = std::move(work)]() mutable { work->done(std::move(work->out)); });
        return;
    }
    if (shared_cache_ == nullptr || shared_cache_checked) return contents_from_s3(std::move(work));
    // The shared cache first, one GET per missing version (Redis pipelines them); S3 for the rest.
    // The lookups share the work: the last to answer carries it on.
    auto shared_work = std::shared_ptr<ContentsWork>(std::move(work));
    shared_work->waiting = shared_work->missing.size();
    for (size_t i : shared_work->missing) {
        const VersionRecord& r = shared_work->records[i];
        const std::string identity = version_identity(r.module_name, r.version);
        shared_cache_->get(snapshot_cache_key(identity), [this, alive = lifetime_.guard(),
                                                          shared_work, i, identity](
                                                             std::optional<std::string> bytes) {
            if (bytes) {
                auto snap = decode_snapshot(*bytes);
                if (snap &&
                    version_identity(snap->record.module_name, snap->record.version) == identity) {
                    shared_work->out[i] = std::make_shared<const VersionSnapshot>(std::move(*snap));
                    if (alive.alive()) shared_.snapshots.put(identity, shared_work->out[i]);
                }
            }
            if (--shared_work->waiting > 0) return;
            if (!alive.alive()) return shared_work->done(storage_closed());
            auto rest = std::make_unique<ContentsWork>(std::move(*shared_work));
            std::erase_if(rest->missing, [&](size_t k) { return rest->out[k] != nullptr; });
            if (rest->missing.empty()) return rest->done(std::move(rest->out));
            contents_from_s3(std::move(rest));
        });
    }
}

void PostgresStorage::contents_from_s3(std::unique_ptr<ContentsWork> work) {
    std::vector<std::string> wanted;
    for (size_t i : work->missing) {
        for (const auto& f : work->records[i].files) wanted.push_back(f.sha256);
    }
    objects_.get_all(std::move(wanted), [this, alive = lifetime_.guard(), work = std::move(work)](
                                            Result<std::vector<std::string>> contents) mutable {
        if (!contents) return work->done(std::move(contents).error());
        if (!alive.alive()) return work->done(storage_closed());
        size_t next = 0;
        for (size_t i : work->missing) {
            auto snap = std::make_shared<VersionSnapshot>();
            for (const auto& f : work->records[i].files) {
                snap->files.push_back({f.path, std::move((*contents)[next++])});
            }
            snap->record = std::move(work->records[i]);
            work->out[i] = std::move(snap);
            remember_snapshot(work->out[i]);
        }
        work->done(std::move(work->out));
    });
}

void PostgresStorage::remember_snapshot(const VersionSnapshotPtr& snap) {
    const std::string identity = version_identity(snap->record.module_name, snap->record.version);
    shared_.snapshots.put(identity, snap);
    if (shared_cache_ == nullptr) return;
    if (auto bytes = encode_snapshot(*snap)) {
        shared_cache_->put(snapshot_cache_key(identity), std::move(*bytes));
    }
}

void PostgresStorage::get_version(std::string module, std::string version,
                                  Completion<VersionSnapshotPtr> done) {
    if (version == "latest") {
        return fetch_version(std::move(module), std::move(version), false, std::move(done));
    }
    const std::string identity = version_identity(module, version);
    if (auto hit = shared_.snapshots.get(identity)) {
        loop_.defer([hit = std::move(hit), done = std::move(done)]() mutable { done(hit); });
        return;
    }
    if (shared_cache_ == nullptr) {
        return fetch_version(std::move(module), std::move(version), false, std::move(done));
    }
    // An exact version asks the shared cache before the database: a hit costs no SQL at all.
    shared_cache_->get(
        snapshot_cache_key(identity),
        [this, alive = lifetime_.guard(), identity, module = std::move(module),
         version = std::move(version),
         done = std::move(done)](std::optional<std::string> bytes) mutable {
            if (!alive.alive()) return done(storage_closed());
            if (bytes) {
                if (auto snap = decode_snapshot(*bytes)) {
                    auto found = std::make_shared<const VersionSnapshot>(std::move(*snap));
                    shared_.snapshots.put(identity, found);
                    return done(std::move(found));
                }
            }
            fetch_version(std::move(module), std::move(version), true, std::move(done));
        });
}

void PostgresStorage::fetch_version(std::string module, std::string version,
                                    bool shared_cache_checked,
                                    Completion<VersionSnapshotPtr> done) {
    resolve(
        {VersionRef{std::move(module), std::move(version)}},
        [this, alive = lifetime_.guard(), shared_cache_checked,
         done = std::move(done)](Result<ResolvedVersions> found) mutable {
            if (!found) return done(std::move(found).error());
            if (!alive.alive()) return done(storage_closed());
            std::vector<VersionRecord> records{std::move(found->front().second)};
            attach_contents(
                std::move(records),
                [done = std::move(done)](Result<std::vector<VersionSnapshotPtr>> snaps) mutable {
                    if (!snaps) return done(std::move(snaps).error());
                    done(std::move(snaps->front()));
                },
                shared_cache_checked);
        });
}

void PostgresStorage::load_versions(std::vector<VersionRef> refs,
                                    Completion<std::vector<VersionSnapshotPtr>> done) {
    std::vector<VersionSnapshotPtr> cached;
    for (const auto& r : refs) {
        auto hit = shared_.snapshots.get(version_identity(r.module, r.version));
        if (!hit) break;
        cached.push_back(std::move(hit));
    }
    if (cached.size() == refs.size()) {
        loop_.defer([cached = std::move(cached), done = std::move(done)]() mutable {
            done(std::move(cached));
        });
        return;
    }
    resolve(std::move(refs), [this, alive = lifetime_.guard(),
                              done = std::move(done)](Result<ResolvedVersions> found) mutable {
        if (!found) return done(std::move(found).error());
        if (!alive.alive()) return done(storage_closed());
        std::vector<VersionRecord> records;
        for (auto& [id, r] : *found) records.push_back(std::move(r));
        attach_contents(std::move(records), std::move(done));
    });
}

void PostgresStorage::dependency_closure(std::vector<VersionRef> roots,
                                         Completion<std::vector<VersionRecord>> done) {
    if (roots.empty()) {
        loop_.defer([done = std::move(done)]() mutable { done(std::vector<VersionRecord>{}); });
        return;
    }
    Params params = ref_params(roots);
    read<std::vector<VersionRecord>>(
        registry_sql::kClosure, std::move(params),
        [roots = std::move(roots)](const PgResult& r) { return decode_closure(roots, r); },
        std::move(done));
}

void PostgresStorage::list_dependents(VersionRef ref, Completion<std::vector<VersionRef>> done) {
    resolve({std::move(ref)}, [this, alive = lifetime_.guard(),
                               done = std::move(done)](Result<ResolvedVersions> found) mutable {
        if (!found) return done(std::move(found).error());
        if (!alive.alive()) return done(storage_closed());
        read<std::vector<VersionRef>>(
            registry_sql::kDependents, {std::to_string(found->front().first)},
            [](const PgResult& r) -> Result<std::vector<VersionRef>> {
                std::vector<VersionRef> out;
                for (int row = 0; row < r.rows(); ++row) {
                    out.push_back({std::string(r.value(row, 0)), std::string(r.value(row, 1))});
                }
                sort_dependents(out);
                return out;
            },
            std::move(done));
    });
}

void PostgresStorage::put_version(VersionDraft draft, Completion<PutVersionResult> done) {
    if (draft.files.size() != draft.record.files.size()) {
        loop_.defer([done = std::move(done)]() mutable {
            done(Error::internal("version draft files do not match its record"));
        });
        return;
    }
    // File bytes first: a crash between the two leaves at most an unreferenced object, never a
    // version row pointing at a missing one.
    std::vector<StoredBlob> blobs;
    blobs.reserve(draft.files.size());
    for (size_t i = 0; i < draft.files.size(); ++i) {
        blobs.push_back({draft.record.files[i].sha256, draft.files[i].content});
    }
    const int64_t started_us = monotonic_us();
    objects_.put_all(std::move(blobs), [this, alive = lifetime_.guard(), draft = std::move(draft),
                                        started_us, done = std::move(done)](Status stored) mutable {
        if (!stored) return done(std::move(stored).error());
        if (!alive.alive()) return done(storage_closed());
        const int64_t inserting_us = monotonic_us();
        const int64_t objects_us = inserting_us - started_us;
        insert_version(std::move(draft), [objects_us, inserting_us, done = std::move(done)](
                                             Result<PutVersionResult> put) mutable {
            if (Log::enabled(LogLevel::Debug)) {
                Log::write(LogLevel::Debug, "postgres put_version",
                           {{"s3_us", objects_us}, {"sql_us", monotonic_us() - inserting_us}});
            }
            done(std::move(put));
        });
    });
}

void PostgresStorage::insert_version(VersionDraft draft, Completion<PutVersionResult> done) {
    auto params = registry_sql::put_version_params(draft);
    if (!params) return done(std::move(params).error());
    pool_.query(PgRoute::Write, registry_sql::kPutVersion, std::move(*params),
                [this, alive = lifetime_.guard(), draft = std::move(draft),
                 done = std::move(done)](PgReply reply) mutable {
                    if (!reply.result.ok()) return done(reply.result.error().to_error());
                    if (!alive.alive()) return done(storage_closed());
                    const PgResult& r = reply.result.value();
                    if (r.rows() != 1)
                        return done(Error::internal("the version insert returned no row"));
                    if (r.value(0, 0) == "0") {
                        return done(storage_errors::module_missing(draft.record.module_name));
                    }
                    if (!r.is_null(0, 1)) {
                        auto snap = std::make_shared<VersionSnapshot>(
                            VersionSnapshot{draft.record, std::move(draft.files)});
                        // Other instances' first reads of it come from Redis, not S3.
                        remember_snapshot(snap);
                        return done(PutVersionResult{PutOutcome::Created, std::move(draft.record)});
                    }
                    // The version exists (maybe committed a moment ago by a concurrent push):
                    // compare with what the primary holds.
                    std::vector<VersionRef> refs{{draft.record.module_name, draft.record.version}};
                    Params p = ref_params(refs);
                    pool_.query(
                        PgRoute::ReadPrimary, registry_sql::kResolveRefs, std::move(p),
                        [refs = std::move(refs), digest = draft.record.digest,
                         done = std::move(done)](PgReply existing) mutable {
                            if (!existing.result.ok()) {
                                return done(existing.result.error().to_error());
                            }
                            auto found = decode_resolved(refs, existing.result.value());
                            if (!found) return done(std::move(found).error());
                            VersionRecord& record = found->front().second;
                            if (record.digest != digest) {
                                return done(storage_errors::version_exists(record));
                            }
                            done(PutVersionResult{PutOutcome::Identical, std::move(record)});
                        });
                });
}

void PostgresStorage::put_artifact(std::string key, std::string bytes, Completion<Unit> done) {
    if (!is_artifact_key(key)) {
        loop_.defer([done = std::move(done)]() mutable {
            done(Error::bad_request("malformed artifact key"));
        });
        return;
    }
    objects_.put_object(artifact_location(key), std::move(bytes), std::move(done));
}

void PostgresStorage::get_artifact(std::string key, Completion<std::optional<std::string>> done) {
    if (!is_artifact_key(key)) {
        loop_.defer([done = std::move(done)]() mutable {
            done(Error::bad_request("malformed artifact key"));
        });
        return;
    }
    objects_.get_object(artifact_location(key), std::move(done));
}

void PostgresStorage::create_token(ApiToken token, Completion<ApiToken> done) {
    if (!token_contract::is_secret_hash(token.secret_hash)) {
        loop_.defer(
            [done = std::move(done)]() mutable { done(token_contract::malformed_secret_hash()); });
        return;
    }
    pool_.query(PgRoute::Write, token_sql::kCreateToken, token_sql::create_token_params(token),
                [done = std::move(done)](PgReply reply) mutable {
                    if (!reply.result.ok()) {
                        const PgError& e = reply.result.error();
                        // Not e.to_error(): its detail would name the hash.
                        if (e.is_unique_violation()) return done(token_contract::token_clash());
                        return done(e.to_error());
                    }
                    const PgResult& r = reply.result.value();
                    if (r.rows() != 1)
                        return done(Error::internal("the token insert returned no row"));
                    done(token_sql::decode_token(r, 0));
                });
}

void PostgresStorage::find_token(std::string secret_hash,
                                 Completion<std::optional<ApiToken>> done) {
    if (!token_contract::is_secret_hash(secret_hash)) {
        loop_.defer(
            [done = std::move(done)]() mutable { done(token_contract::malformed_secret_hash()); });
        return;
    }
    // On the primary, not read(): a replica that lags would still show a token as unrevoked
    // (or not show a new one) after the primary committed the change, and a revocation must
    // take effect at once on every instance.
    pool_.query(PgRoute::ReadPrimary, token_sql::kFindToken, {std::move(secret_hash)},
                [done = std::move(done)](PgReply reply) mutable {
                    using Found = std::optional<ApiToken>;
                    if (!reply.result.ok()) return done(reply.result.error().to_error());
                    const PgResult& r = reply.result.value();
                    if (r.rows() == 0) return done(Found());
                    auto token = token_sql::decode_token(r, 0);
                    if (!token) return done(std::move(token).error());
                    done(Found(std::move(token).value()));
                });
}

void PostgresStorage::list_tokens(Completion<std::vector<ApiToken>> done) {
    // A replica is fine for a listing: this loop's writes are behind the fence, and the sort
    // is the SQL's (the same as token_contract::sort_tokens).
    read<std::vector<ApiToken>>(
        token_sql::kListTokens, {},
        [](const PgResult& r) -> Result<std::vector<ApiToken>> {
            std::vector<ApiToken> out;
            out.reserve(static_cast<size_t>(r.rows()));
            for (int row = 0; row < r.rows(); ++row) {
                auto token = token_sql::decode_token(r, row);
                if (!token) return std::move(token).error();
                out.push_back(std::move(token).value());
            }
            return out;
        },
        std::move(done));
}

void PostgresStorage::revoke_token(std::string id, Completion<ApiToken> done) {
    std::string name = id;
    pool_.query(PgRoute::Write, token_sql::kRevokeToken, {std::move(id)},
                [name = std::move(name), done = std::move(done)](PgReply reply) mutable {
                    if (!reply.result.ok()) return done(reply.result.error().to_error());
                    const PgResult& r = reply.result.value();
                    if (r.rows() == 0) return done(token_contract::token_missing(name));
                    done(token_sql::decode_token(r, 0));
                });
}

void PostgresStorage::record_token_use(std::vector<TokenUse> uses, Completion<Unit> done) {
    if (uses.empty()) {
        loop_.defer([done = std::move(done)]() mutable { done(Unit{}); });
        return;
    }
    pool_.query(PgRoute::Write, token_sql::kRecordTokenUse, token_sql::record_use_params(uses),
                [done = std::move(done)](PgReply reply) mutable {
                    if (!reply.result.ok()) return done(reply.result.error().to_error());
                    done(Unit{});
                });
}

void PostgresStorage::check_health(Completion<std::vector<StorageCheck>> done) {
    // Two probes in parallel; whichever finishes second answers. Shared by the two callbacks.
    struct Join {
        std::vector<StorageCheck> checks;
        int pending = 2;
        Completion<std::vector<StorageCheck>> done;
        PostgresShared* shared;
        void finish() {
            if (--pending > 0) return;
            // "storage" sums the backend up, as the filesystem backend's single check does.
            StorageCheck summary;
            summary.name = "storage";
            summary.up = true;
            for (auto& c : checks) {
                c.breaker = CircuitBreaker::state_name(shared->board.worst(c.name));
                summary.latency_ms = std::max(summary.latency_ms, c.latency_ms);
                if (c.required && !c.up) {
                    summary.up = false;
                    if (summary.error.empty()) summary.error = c.name + " is down";
                }
            }
            checks.insert(checks.begin(), std::move(summary));
            done(std::move(checks));
        }
    };
    auto join = std::make_shared<Join>();
    join->done = std::move(done);
    join->shared = &shared_;
    pool_.check([join](std::vector<StorageCheck> pg) {
        for (auto& c : pg) join->checks.push_back(std::move(c));
        join->finish();
    });
    objects_.check([join](StorageCheck s3) {
        join->checks.push_back(std::move(s3));
        join->finish();
    });
}

}  // namespace spoke
