#include "services/version_reader.hpp"

#include <utility>

#include "reactor/event_loop.hpp"
#include "registry/semver.hpp"
#include "services/dependency_refs.hpp"

namespace spoke {
namespace {

bool is_direct(const VersionRecord& r, const std::vector<VersionRef>& direct) {
    for (const auto& d : direct) {
        if (d.module == r.module_name && version_key(d.version) == version_key(r.version)) {
            return true;
        }
    }
    return false;
}

VersionRecord without_files(const VersionRecord& r) {
    VersionRecord out = r;
    out.files.clear();
    return out;
}

}  // namespace

void VersionReader::list(std::string module, Completion<std::vector<VersionRecord>> done) const {
    env_.storage.list_versions(std::move(module), std::move(done));
}

void VersionReader::get(std::string module, std::string version,
                        Completion<VersionSnapshotPtr> done) const {
    env_.storage.get_version(std::move(module), std::move(version), std::move(done));
}

void VersionReader::closure_contents(std::vector<VersionRef> roots,
                                     Completion<ClosureContents> done) const {
    if (roots.empty()) {
        env_.loop.defer([done = std::move(done)]() mutable { done(ClosureContents{}); });
        return;
    }
    Storage& storage = env_.storage;
    storage.dependency_closure(
        std::move(roots),
        [&storage, done = std::move(done)](Result<std::vector<VersionRecord>> closure) mutable {
            if (!closure) return done(std::move(closure).error());
            std::vector<VersionRef> refs;
            refs.reserve(closure->size());
            for (const auto& r : *closure) refs.push_back({r.module_name, r.version});
            storage.load_versions(std::move(refs),
                                  [records = std::move(*closure), done = std::move(done)](
                                      Result<std::vector<VersionSnapshotPtr>> loaded) mutable {
                                      if (!loaded) return done(std::move(loaded).error());
                                      done(ClosureContents{std::move(records), std::move(*loaded)});
                                  });
        });
}

void VersionReader::with_closure(std::string module, std::string version,
                                 Completion<VersionClosure> done) const {
    env_.storage.get_version(
        std::move(module), std::move(version),
        [this, done = std::move(done)](Result<VersionSnapshotPtr> found) mutable {
            if (!found) return done(std::move(found).error());
            closure_of(std::move(*found), std::move(done));
        });
}

void VersionReader::closure_of(VersionSnapshotPtr root, Completion<VersionClosure> done) const {
    auto roots = parse_stored_refs(root->record.dependencies);
    if (!roots) {
        env_.loop.defer([done = std::move(done), e = std::move(roots).error()]() mutable {
            done(std::move(e));
        });
        return;
    }
    closure_contents(std::move(*roots), [root = std::move(root), done = std::move(done)](
                                            Result<ClosureContents> closure) mutable {
        if (!closure) return done(std::move(closure).error());
        done(VersionClosure{std::move(root), std::move(*closure)});
    });
}

void VersionReader::with_dependency_records(std::string module, std::string version,
                                            Completion<VersionWithDependencies> done) const {
    Storage& storage = env_.storage;
    storage.get_version(
        std::move(module), std::move(version),
        [&storage, done = std::move(done)](Result<VersionSnapshotPtr> found) mutable {
            if (!found) return done(std::move(found).error());
            VersionWithDependencies out{std::move(*found), {}};
            auto roots = parse_stored_refs(out.root->record.dependencies);
            if (!roots) return done(std::move(roots).error());
            if (roots->empty()) return done(std::move(out));
            storage.dependency_closure(std::move(*roots),
                                       [out = std::move(out), done = std::move(done)](
                                           Result<std::vector<VersionRecord>> closure) mutable {
                                           if (!closure) {
                                               // Stored versions' dependencies exist by
                                               // construction.
                                               Error e = std::move(closure).error();
                                               if (e.code == ErrorCode::UnknownDependency)
                                                   e = Error::internal(e.message);
                                               return done(std::move(e));
                                           }
                                           out.dependencies = std::move(*closure);
                                           done(std::move(out));
                                       });
        });
}

void VersionReader::dependencies(std::string module, std::string version, bool transitive,
                                 Completion<DependencyListing> done) const {
    if (transitive) {
        return with_dependency_records(
            std::move(module), std::move(version),
            [done = std::move(done)](Result<VersionWithDependencies> found) mutable {
                if (!found) return done(std::move(found).error());
                DependencyListing listing{without_files(found->root->record), {}};
                auto direct = parse_stored_refs(listing.root.dependencies);
                if (!direct) return done(std::move(direct).error());
                for (const auto& r : found->dependencies) {
                    listing.dependencies.push_back(
                        {r.module_name, r.version, is_direct(r, *direct)});
                }
                done(std::move(listing));
            });
    }
    env_.storage.get_version(std::move(module), std::move(version),
                             [done = std::move(done)](Result<VersionSnapshotPtr> found) mutable {
                                 if (!found) return done(std::move(found).error());
                                 DependencyListing listing{without_files((*found)->record), {}};
                                 auto direct = parse_stored_refs(listing.root.dependencies);
                                 if (!direct) return done(std::move(direct).error());
                                 for (const auto& d : *direct)
                                     listing.dependencies.push_back({d.module, d.version, true});
                                 done(std::move(listing));
                             });
}

void VersionReader::dependents(std::string module, std::string version,
                               Completion<DependentsListing> done) const {
    Storage& storage = env_.storage;
    // get_version resolves "latest" and the 'v' spelling, and gives the 404s.
    storage.get_version(
        std::move(module), std::move(version),
        [&storage, done = std::move(done)](Result<VersionSnapshotPtr> found) mutable {
            if (!found) return done(std::move(found).error());
            VersionRecord root = without_files((*found)->record);
            VersionRef ref{root.module_name, root.version};
            storage.list_dependents(
                std::move(ref), [root = std::move(root), done = std::move(done)](
                                    Result<std::vector<VersionRef>> dependents) mutable {
                    if (!dependents) return done(std::move(dependents).error());
                    done(DependentsListing{std::move(root), std::move(*dependents)});
                });
        });
}

}  // namespace spoke
