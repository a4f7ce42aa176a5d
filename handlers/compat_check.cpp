#include "handlers/compat_check.hpp"

#include <google/protobuf/descriptor.pb.h>

#include <limits>
#include <utility>

#include "handlers/cache_keys.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/response_cache.hpp"
#include "handlers/schema_loader.hpp"
#include "reactor/event_loop.hpp"
#include "registry/compat/schema_image.hpp"
#include "registry/semver.hpp"

namespace spoke {
namespace {

using DescriptorSetPtr = std::shared_ptr<const std::string>;

// The parallel compiles of compile_stored_versions; lives on the loop thread only.
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

std::vector<std::string> own_paths(const VersionRecord& r) {
    std::vector<std::string> paths;
    paths.reserve(r.files.size());
    for (const auto& f : r.files) paths.push_back(f.path);
    return paths;
}

// One stored version with source info, as GET .../descriptor?source_info=true builds it (and
// under the same cache key, so either fills the cache for the other).
void compile_stored(LoopServices& services, const VersionRecord& record,
                    Callback<void(Result<DescriptorSetPtr>)> done) {
    services.storage.get_version(
        record.module_name, record.version,
        [&services, done = std::move(done)](Result<VersionSnapshotPtr> found) mutable {
            if (!found) return done(std::move(found).error());
            VersionSnapshotPtr snap = std::move(*found);
            auto roots = parse_stored_refs(snap->record.dependencies);
            if (!roots) return done(std::move(roots).error());
            load_closure(
                services, std::move(*roots),
                [&services, snap, done = std::move(done)](Result<ClosureContents> closure) mutable {
                    if (!closure) return done(std::move(closure).error());
                    CompileRequest request{snap->files, std::move(closure->snapshots), true};
                    compile_on_pool(
                        services, std::move(request),
                        [&services, snap,
                         done = std::move(done)](Result<CompiledSchema> compiled) mutable {
                            const VersionRecord& r = snap->record;
                            if (!compiled) {
                                // It compiled when it was pushed: failing now is ours.
                                const Error& e = compiled.error();
                                return done(
                                    e.code == ErrorCode::Unavailable
                                        ? e
                                        : Error::internal("stored version " + r.version +
                                                          " does not compile: " + e.message));
                            }
                            auto set = std::make_shared<const std::string>(
                                std::move(compiled->descriptor_set));
                            services.cache.insert(
                                descriptor_cache_key(r.module_name, r.version, true),
                                std::make_shared<const CachedResponse>(CachedResponse{
                                    set, "application/x-protobuf", quoted_etag(r.digest)}));
                            done(std::move(set));
                        });
                });
        });
}

Result<std::unique_ptr<SchemaImage>> image_of(const CompiledVersion& v) {
    auto image = SchemaImage::from_descriptor_set(*v.descriptor_set, v.own_files);
    if (!image) {
        // Every input compiled already: a set that does not link is a bug, not a client error.
        return Error::internal(
            "version " + v.version +
            " does not link for the compatibility check: " + image.error().message);
    }
    return image;
}

}  // namespace

std::vector<VersionRecord> previous_versions(const std::vector<VersionRecord>& newest_first,
                                             std::string_view version, bool transitive) {
    std::vector<VersionRecord> out;
    auto target = parse_semver(version);
    if (!target) return out;
    for (const auto& r : newest_first) {
        auto v = parse_semver(r.version);
        if (!v || compare_precedence(*v, *target) >= 0) continue;
        out.push_back(r);
        if (!transitive) break;  // newest first: the first earlier one is the nearest
    }
    return out;
}

bool holds_version(const std::vector<VersionRecord>& newest_first, std::string_view version) {
    const std::string key = version_key(version);
    for (const auto& r : newest_first) {
        if (version_key(r.version) == key) return true;
    }
    return false;
}

void compile_stored_versions(LoopServices& services, std::vector<VersionRecord> records,
                             Completion<std::vector<CompiledVersion>> done) {
    auto join = std::make_shared<CompileJoin>();
    join->done = std::move(done);
    join->out.resize(records.size());
    join->pending = records.size() + 1;  // +1: released below, once every compile is started
    for (size_t i = 0; i < records.size(); ++i) {
        const VersionRecord& r = records[i];
        join->out[i] = CompiledVersion{r.version, nullptr, own_paths(r)};
        if (CachedResponsePtr hit =
                services.cache.find(descriptor_cache_key(r.module_name, r.version, true))) {
            join->out[i].descriptor_set = hit->body;
            --join->pending;
            continue;
        }
        compile_stored(services, r, [join, i](Result<DescriptorSetPtr> set) {
            if (!set) return join->fail(std::move(set).error());
            join->out[i].descriptor_set = std::move(*set);
            join->complete_one();
        });
    }
    // Completions never run inside the call, also when everything was cached.
    services.loop.defer([join] { join->complete_one(); });
}

Result<CompatOutcome> run_compat_check(CompatMode mode, const CompiledVersion& newer,
                                       const std::vector<CompiledVersion>& older,
                                       bool against_several) {
    CompatOutcome out;
    out.mode = mode;
    out.new_version = newer.version;
    out.against_several = against_several;
    if (!older.empty()) out.old_version = older.front().version;
    if (mode == CompatMode::None || older.empty()) return out;
    auto newer_image = image_of(newer);
    if (!newer_image) return std::move(newer_image).error();
    for (const auto& o : older) {
        auto older_image = image_of(o);
        if (!older_image) return std::move(older_image).error();
        CompatReport report = check_compatibility(**older_image, **newer_image, mode);
        for (auto& v : report.violations) out.findings.push_back({std::move(v), o.version});
        out.error_count += report.error_count;
        out.warning_count += report.warning_count;
        out.info_count += report.info_count;
    }
    return out;
}

Result<std::vector<SchemaChange>> run_schema_diff(const CompiledVersion& from,
                                                  const CompiledVersion& to) {
    auto from_image = image_of(from);
    if (!from_image) return std::move(from_image).error();
    auto to_image = image_of(to);
    if (!to_image) return std::move(to_image).error();
    return diff_schemas(**from_image, **to_image);
}

Result<std::string> strip_source_info(std::string_view descriptor_set) {
    google::protobuf::FileDescriptorSet set;
    if (descriptor_set.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
        !set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
        return Error::internal("a compiled descriptor set does not parse");
    }
    for (auto& file : *set.mutable_file()) file.clear_source_code_info();
    std::string out;
    if (!set.SerializeToString(&out)) {
        return Error::internal("a descriptor set could not be serialized");
    }
    return out;
}

}  // namespace spoke
