#include "services/descriptor_service.hpp"

#include <utility>

#include "reactor/guarded_work.hpp"
#include "registry/proto_compiler.hpp"
#include "registry/well_known_types.hpp"
#include "services/work_admissions.hpp"

namespace spoke {
namespace {

// The flavour a compile gives: with source info, the well-known types' left out.
SetDetail compiled_detail(bool source_info) {
    return source_info ? SetDetail::SourceInfo : SetDetail::Plain;
}

std::vector<std::string> own_paths(const VersionRecord& r) {
    std::vector<std::string> paths;
    paths.reserve(r.files.size());
    for (const auto& f : r.files) paths.push_back(f.path);
    return paths;
}

// A stored version compiled when it was pushed: failing now is ours, not the caller's (unless
// the work was refused or skipped).
Error stored_compile_failed(const Error& e, std::string_view what) {
    if (e.code == ErrorCode::Unavailable) return e;
    return Error::internal(std::string(what) + e.message);
}

// The parallel compiles of with_source_info; lives on the loop thread only.
struct CompileJoin {
    std::vector<CompiledVersion> out;
    size_t pending = 0;
    bool finished = false;
    Completion<std::vector<CompiledVersion>> done;

    void fail(Error e) {
        if (finished) return;
        finished = true;
        done(std::move(e));
    }
    void complete_one() {
        if (finished || --pending > 0) return;
        finished = true;
        done(std::move(out));
    }
};

}  // namespace

void DescriptorService::get(DescriptorQuery query, Completion<DescriptorSetPtr> done) const {
    std::string module = query.module;
    std::string version = query.version;
    env_.storage.get_version(
        std::move(module), std::move(version),
        [this, query = std::move(query),
         done = std::move(done)](Result<VersionSnapshotPtr> found) mutable {
            if (!found) return done(std::move(found).error());
            const VersionRecord& r = (*found)->record;
            // "latest" (or the other 'v' spelling) may already be cached.
            if (DescriptorSetPtr hit = cached(r.module_name, r.version, query.source_info)) {
                return done(std::move(hit));
            }
            const std::string stored = r.version;
            const bool source_info = query.source_info;
            LifetimeGuard wanted = query.wanted;
            compiled(std::move(*found), source_info, std::move(wanted),
                     [this, query = std::move(query), stored,
                      done = std::move(done)](Result<DescriptorSetPtr> set) mutable {
                         if (!set) {
                             return done(
                                 stored_compile_failed(set.error(), "descriptor compile failed: "));
                         }
                         // Also kept under the spelling asked for ("latest" moves). compiled()
                         // keeps a Plain set under the stored spelling already.
                         auto keep_requested = [this, module = query.module, stored,
                                                requested = query.version](
                                                   SetDetail detail, const DescriptorSetPtr& kept) {
                             if (requested != "latest" && requested != stored) {
                                 env_.descriptors.insert(module, requested, detail, kept);
                             }
                         };
                         if (!query.source_info) {
                             keep_requested(SetDetail::Plain, *set);
                             return done(std::move(set));
                         }
                         serve_with_well_known(
                             std::move(*set), std::move(query.wanted),
                             [this, module = query.module, stored,
                              keep_requested = std::move(keep_requested),
                              done = std::move(done)](Result<DescriptorSetPtr> served) mutable {
                                 if (served) {
                                     env_.descriptors.insert(module, stored, SetDetail::Served,
                                                             *served);
                                     keep_requested(SetDetail::Served, *served);
                                 }
                                 done(std::move(served));
                             });
                     });
        });
}

void DescriptorService::compiled(VersionSnapshotPtr root, bool source_info, LifetimeGuard wanted,
                                 Completion<DescriptorSetPtr> done) const {
    const VersionRecord& r = root->record;
    if (DescriptorSetPtr hit =
            env_.descriptors.find(r.module_name, r.version, compiled_detail(source_info))) {
        env_.loop.defer(
            [hit = std::move(hit), done = std::move(done)]() mutable { done(std::move(hit)); });
        return;
    }
    reader_.closure_of(
        std::move(root), [this, source_info, wanted = std::move(wanted),
                          done = std::move(done)](Result<VersionClosure> closure) mutable {
            if (!closure) return done(std::move(closure).error());
            compile(std::move(*closure), source_info, std::move(wanted), std::move(done));
        });
}

void DescriptorService::serve_with_well_known(DescriptorSetPtr set, LifetimeGuard wanted,
                                              Completion<DescriptorSetPtr> done) const {
    run_admitted<DescriptorSetPtr>(
        env_.pool, env_.loop, env_.admissions.compile, std::move(wanted), "well-known source info",
        [set = std::move(set)]() -> Result<DescriptorSetPtr> {
            auto bytes = with_well_known_source_info(*set->bytes);
            if (!bytes) return std::move(bytes).error();
            if (*bytes == *set->bytes) return set;  // no well-known types: share the bytes
            return std::make_shared<const DescriptorSet>(
                DescriptorSet{std::make_shared<const std::string>(std::move(*bytes)), set->digest});
        },
        std::move(done));
}

void DescriptorService::with_source_info(std::vector<VersionRecord> records, LifetimeGuard wanted,
                                         Completion<std::vector<CompiledVersion>> done) const {
    auto join = std::make_shared<CompileJoin>();
    join->done = std::move(done);
    join->out.resize(records.size());
    join->pending = records.size() + 1;  // +1: released below, once every compile is started
    for (size_t i = 0; i < records.size(); ++i) {
        const VersionRecord& r = records[i];
        join->out[i] = CompiledVersion{r.version, nullptr, own_paths(r)};
        if (DescriptorSetPtr hit =
                env_.descriptors.find(r.module_name, r.version, SetDetail::SourceInfo)) {
            join->out[i].descriptor_set = hit->bytes;
            --join->pending;
            continue;
        }
        reader_.with_closure(r.module_name, r.version,
                             [this, join, i, wanted](Result<VersionClosure> closure) mutable {
                                 if (!closure) return join->fail(std::move(closure).error());
                                 const std::string version = closure->root->record.version;
                                 compile(std::move(*closure), true, std::move(wanted),
                                         [join, i, version](Result<DescriptorSetPtr> set) {
                                             if (!set) {
                                                 return join->fail(stored_compile_failed(
                                                     set.error(), "stored version " + version +
                                                                      " does not compile: "));
                                             }
                                             join->out[i].descriptor_set = (*set)->bytes;
                                             join->complete_one();
                                         });
                             });
    }
    // Completions never run inside the call, also when everything was cached.
    env_.loop.defer([join] { join->complete_one(); });
}

void DescriptorService::remember(const VersionRecord& stored, SetDetail detail,
                                 std::shared_ptr<const std::string> bytes) const {
    env_.descriptors.insert(
        stored.module_name, stored.version, detail,
        std::make_shared<const DescriptorSet>(DescriptorSet{std::move(bytes), stored.digest}));
}

void DescriptorService::compile(VersionClosure closure, bool source_info, LifetimeGuard wanted,
                                Completion<DescriptorSetPtr> done) const {
    VersionSnapshotPtr root = closure.root;
    CompileRequest request{root->files, std::move(closure.dependencies.snapshots), source_info};
    run_admitted<CompiledSchema>(
        env_.pool, env_.loop, env_.admissions.compile, std::move(wanted), "compile",
        [request = std::move(request), limits = env_.limits] {
            return compile_schema(request, limits);
        },
        [this, root = std::move(root), source_info,
         done = std::move(done)](Result<CompiledSchema> compiled) mutable {
            if (!compiled) return done(std::move(compiled).error());
            const VersionRecord& r = root->record;
            auto set = std::make_shared<const DescriptorSet>(DescriptorSet{
                std::make_shared<const std::string>(std::move(compiled->descriptor_set)),
                r.digest});
            env_.descriptors.insert(r.module_name, r.version, compiled_detail(source_info), set);
            done(std::move(set));
        });
}

}  // namespace spoke
