#include "services/compatibility_service.hpp"

#include <utility>

#include "backends/storage_errors.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/guarded_work.hpp"
#include "registry/semver.hpp"
#include "services/work_admissions.hpp"

namespace spoke {
namespace {

// A level that is not one of the seven can only come from a damaged record.
Result<CompatMode> module_level(const Module& m) {
    if (auto mode = parse_compat_mode(m.compatibility)) return *mode;
    return Error::internal("module " + m.name + " has an unknown compatibility level stored");
}

// The record a version path parameter names within a module's list ("latest" included).
Result<VersionRecord> find_listed(const std::vector<VersionRecord>& newest_first,
                                  std::string_view module, std::string_view version) {
    if (version == "latest") {
        if (auto i = select_latest(newest_first)) return newest_first[*i];
        return storage_errors::no_versions(module);
    }
    const std::string key = version_key(version);
    for (const auto& r : newest_first) {
        if (version_key(r.version) == key) return r;
    }
    return storage_errors::version_missing(module, version);
}

// The records of `versions` (each may say "latest" or use either spelling), in order, looked up
// one after another; NotFound names the first that is missing.
void resolve_records(Storage& storage, std::string module, std::vector<std::string> versions,
                     std::vector<VersionRecord> found,
                     Completion<std::vector<VersionRecord>> done) {
    std::string version = versions[found.size()];
    std::string name = module;
    storage.get_version(std::move(name), std::move(version),
                        [&storage, module = std::move(module), versions = std::move(versions),
                         found = std::move(found),
                         done = std::move(done)](Result<VersionSnapshotPtr> snap) mutable {
                            if (!snap) return done(std::move(snap).error());
                            found.push_back((*snap)->record);
                            if (found.size() == versions.size()) return done(std::move(found));
                            resolve_records(storage, std::move(module), std::move(versions),
                                            std::move(found), std::move(done));
                        });
}

// The verdict of a check that has nothing to compare: compatible.
CompatOutcome trivially_compatible(CompatMode mode, std::string new_version,
                                   const std::vector<VersionRecord>& older, bool against_several) {
    CompatOutcome outcome;
    outcome.mode = mode;
    outcome.new_version = std::move(new_version);
    if (!older.empty()) outcome.old_version = older.front().version;
    outcome.against_several = against_several;
    return outcome;
}

}  // namespace

void CompatibilityService::level(std::string module, Completion<std::string> done) const {
    env_.storage.get_module(std::move(module),
                            [done = std::move(done)](Result<Module> found) mutable {
                                if (!found) return done(std::move(found).error());
                                done(std::move(found->compatibility));
                            });
}

void CompatibilityService::set_level(std::string module, CompatMode level,
                                     Completion<std::string> done) const {
    env_.storage.set_compatibility(std::move(module), compat_mode_name(level),
                                   [done = std::move(done)](Result<Module> updated) mutable {
                                       if (!updated) return done(std::move(updated).error());
                                       done(std::move(updated->compatibility));
                                   });
}

void CompatibilityService::check_pair(CompatPairQuery query, Completion<CompatOutcome> done) const {
    std::string module = query.module;
    std::optional<CompatMode> mode = query.mode;
    effective_mode(
        std::move(module), mode,
        [this, query = std::move(query),
         done = std::move(done)](Result<std::pair<std::string, CompatMode>> found) mutable {
            if (!found) return done(std::move(found).error());
            std::vector<std::string> versions{query.old_version, query.new_version};
            resolve_records(
                env_.storage, found->first, std::move(versions), {},
                [this, mode = found->second, wanted = std::move(query.wanted),
                 done = std::move(done)](Result<std::vector<VersionRecord>> records) mutable {
                    if (!records) return done(std::move(records).error());
                    // An explicit pair is one check, also for a transitive mode.
                    std::vector<VersionRecord> older{std::move((*records)[0])};
                    check_stored(mode, std::move((*records)[1]), std::move(older), false,
                                 std::move(wanted), std::move(done));
                });
        });
}

void CompatibilityService::check_version(CompatVersionQuery query,
                                         Completion<CompatOutcome> done) const {
    std::string module = query.module;
    std::optional<CompatMode> mode = query.mode;
    effective_mode(std::move(module), mode,
                   [this, query = std::move(query), done = std::move(done)](
                       Result<std::pair<std::string, CompatMode>> found) mutable {
                       if (!found) return done(std::move(found).error());
                       std::string name = found->first;
                       env_.storage.list_versions(
                           std::move(name), [this, name = found->first, mode = found->second,
                                             query = std::move(query), done = std::move(done)](
                                                Result<std::vector<VersionRecord>> listed) mutable {
                               if (!listed) return done(std::move(listed).error());
                               auto record = find_listed(*listed, name, query.version);
                               if (!record) return done(std::move(record).error());
                               const bool transitive = is_transitive(mode);
                               auto older = previous_versions(*listed, record->version, transitive);
                               check_stored(mode, std::move(*record), std::move(older), transitive,
                                            std::move(query.wanted), std::move(done));
                           });
                   });
}

void CompatibilityService::diff(DiffQuery query, Completion<SchemaDiff> done) const {
    std::vector<std::string> versions{query.from_version, query.to_version};
    resolve_records(env_.storage, query.module, std::move(versions), {},
                    [this, wanted = query.wanted,
                     done = std::move(done)](Result<std::vector<VersionRecord>> records) mutable {
                        if (!records) return done(std::move(records).error());
                        LifetimeGuard for_compile = wanted;
                        descriptors_.with_source_info(
                            std::move(*records), std::move(for_compile),
                            [this, wanted = std::move(wanted), done = std::move(done)](
                                Result<std::vector<CompiledVersion>> compiled) mutable {
                                if (!compiled) return done(std::move(compiled).error());
                                run_admitted<SchemaDiff>(
                                    env_.pool, env_.loop, env_.admissions.compatibility,
                                    std::move(wanted), "diff",
                                    [compiled = std::move(*compiled)]() -> Result<SchemaDiff> {
                                        auto changes = run_schema_diff(compiled[0], compiled[1]);
                                        if (!changes) return std::move(changes).error();
                                        return SchemaDiff{compiled[0].version, compiled[1].version,
                                                          std::move(*changes)};
                                    },
                                    std::move(done));
                            });
                    });
}

void CompatibilityService::check_against(CompatMode mode, CompiledVersion newer,
                                         std::vector<VersionRecord> older, bool against_several,
                                         LifetimeGuard wanted,
                                         Completion<CompatOutcome> done) const {
    LifetimeGuard for_compile = wanted;
    descriptors_.with_source_info(
        std::move(older), std::move(for_compile),
        [this, mode, newer = std::move(newer), against_several, wanted = std::move(wanted),
         done = std::move(done)](Result<std::vector<CompiledVersion>> compiled) mutable {
            if (!compiled) return done(std::move(compiled).error());
            run_admitted<CompatOutcome>(
                env_.pool, env_.loop, env_.admissions.compatibility, std::move(wanted),
                "compatibility check",
                [mode, newer = std::move(newer), older = std::move(*compiled), against_several] {
                    return run_compat_check(mode, newer, older, against_several);
                },
                std::move(done));
        });
}

void CompatibilityService::effective_mode(
    std::string module, std::optional<CompatMode> mode,
    Completion<std::pair<std::string, CompatMode>> done) const {
    env_.storage.get_module(
        std::move(module), [mode, done = std::move(done)](Result<Module> found) mutable {
            if (!found) return done(std::move(found).error());
            auto level = mode ? Result<CompatMode>(*mode) : module_level(*found);
            if (!level) return done(std::move(level).error());
            done(std::make_pair(std::move(found->name), *level));
        });
}

void CompatibilityService::check_stored(CompatMode mode, VersionRecord newer,
                                        std::vector<VersionRecord> older, bool against_several,
                                        LifetimeGuard wanted,
                                        Completion<CompatOutcome> done) const {
    if (mode == CompatMode::None || older.empty()) {
        CompatOutcome outcome =
            trivially_compatible(mode, std::move(newer.version), older, against_several);
        env_.loop.defer([done = std::move(done), outcome = std::move(outcome)]() mutable {
            done(std::move(outcome));
        });
        return;
    }
    std::vector<VersionRecord> records;
    records.reserve(older.size() + 1);
    records.push_back(std::move(newer));
    for (auto& r : older) records.push_back(std::move(r));
    LifetimeGuard for_compile = wanted;
    descriptors_.with_source_info(
        std::move(records), std::move(for_compile),
        [this, mode, against_several, wanted = std::move(wanted),
         done = std::move(done)](Result<std::vector<CompiledVersion>> compiled) mutable {
            if (!compiled) return done(std::move(compiled).error());
            run_admitted<CompatOutcome>(
                env_.pool, env_.loop, env_.admissions.compatibility, std::move(wanted),
                "compatibility check",
                [compiled = std::move(*compiled), mode, against_several] {
                    const std::vector<CompiledVersion> older(compiled.begin() + 1, compiled.end());
                    return run_compat_check(mode, compiled.front(), older, against_several);
                },
                std::move(done));
        });
}

}  // namespace spoke
