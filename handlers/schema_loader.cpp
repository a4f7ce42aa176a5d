#include "handlers/schema_loader.hpp"

#include <exception>

#include "handlers/loop_services.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/names.hpp"
#include "registry/semver.hpp"

namespace spoke {

void load_closure(LoopServices& services, std::vector<VersionRef> roots,
                  Completion<ClosureContents> done) {
    if (roots.empty()) {
        services.loop.defer([done = std::move(done)]() mutable { done(ClosureContents{}); });
        return;
    }
    Storage& storage = services.storage;
    storage.dependency_closure(
        std::move(roots),
        [&storage, done = std::move(done)](Result<std::vector<VersionRecord>> closure) mutable {
            if (!closure) {
                done(std::move(closure).error());
                return;
            }
            std::vector<VersionRef> refs;
            refs.reserve(closure->size());
            for (const auto& r : *closure) refs.push_back({r.module_name, r.version});
            storage.load_versions(std::move(refs),
                                  [records = std::move(*closure), done = std::move(done)](
                                      Result<std::vector<VersionSnapshotPtr>> loaded) mutable {
                                      if (!loaded) {
                                          done(std::move(loaded).error());
                                          return;
                                      }
                                      done(ClosureContents{std::move(records), std::move(*loaded)});
                                  });
        });
}

void compile_on_pool(LoopServices& services, CompileRequest request,
                     Callback<void(Result<CompiledSchema>)> done) {
    Callback<Result<CompiledSchema>()> work(
        [request = std::move(request),
         limits = services.settings.limits]() -> Result<CompiledSchema> {
            // libprotobuf may throw (e.g. bad_alloc); nothing may cross the pool boundary.
            try {
                return compile_schema(request, limits);
            } catch (const std::exception& e) {
                return Error::internal(std::string("compile_schema threw: ") + e.what());
            } catch (...) {
                return Error::internal("compile_schema threw");
            }
        });
    services.pool.run<Result<CompiledSchema>>(services.loop, std::move(work), std::move(done));
}

Result<std::vector<std::string>> resolve_direct(const std::vector<VersionRef>& direct,
                                                const std::vector<VersionRecord>& closure) {
    std::vector<std::string> resolved;
    resolved.reserve(direct.size());
    for (const VersionRef& ref : direct) {
        const VersionRecord* match = nullptr;
        if (ref.version == "latest") {
            // The closure holds the module's latest version, and any other version of it that
            // it holds is older, so "latest" within the closure is the same one.
            std::vector<VersionRecord> candidates;
            for (const auto& r : closure) {
                if (r.module_name == ref.module) candidates.push_back(r);
            }
            if (auto i = select_latest(candidates)) {
                for (const auto& r : closure) {
                    if (r.module_name == ref.module && r.version == candidates[*i].version) {
                        match = &r;
                    }
                }
            }
        } else {
            const std::string key = version_key(ref.version);
            for (const auto& r : closure) {
                if (r.module_name == ref.module && version_key(r.version) == key) match = &r;
            }
        }
        if (match == nullptr) {
            return Error{ErrorCode::UnknownDependency,
                         "dependency \"" + ref.to_string() + "\" does not exist",
                         {}};
        }
        resolved.push_back(match->module_name + "@" + match->version);
    }
    return resolved;
}

Result<std::vector<VersionRef>> parse_stored_refs(const std::vector<std::string>& refs) {
    std::vector<VersionRef> out;
    out.reserve(refs.size());
    for (const auto& raw : refs) {
        auto ref = parse_dependency_ref(raw);
        if (!ref) return Error::internal("stored dependency is malformed: " + ref.error().message);
        out.push_back(std::move(ref).value());
    }
    return out;
}

}  // namespace spoke
