#include "services/confluent/schema_compiler.hpp"

#include <set>
#include <utility>

#include "backends/subject_store.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/guarded_work.hpp"
#include "registry/confluent/schema_files.hpp"
#include "registry/proto_compiler.hpp"
#include "services/confluent/confluent_errors.hpp"
#include "services/descriptor_cache.hpp"
#include "services/work_admissions.hpp"

namespace spoke {
namespace {

// Cache keys of Confluent schemas: no module name contains ':', so none collides with a module.
std::string cache_module(std::string_view root_path) {
    return "confluent:" + std::string(root_path);
}

// A reference walk in progress; moved from one store completion to the next.
struct ReferenceWalk {
    SubjectStore& store;
    size_t max_files;
    std::vector<SchemaReference> pending;
    std::set<std::string> seen;  // import paths already provided
    std::vector<ProtoFile> files;
    Completion<std::vector<ProtoFile>> done;
};

std::string describe(const SchemaReference& r) {
    return "reference " + quote_value(r.name) + " (subject " + quote_value(r.subject) +
           ", version " + std::to_string(r.version) + ")";
}

// The version a reference names: its number, or the highest live one for -1 / 0.
const SubjectVersion* referenced_version(const std::vector<SubjectVersion>& versions,
                                         int64_t version) {
    const SubjectVersion* found = nullptr;
    for (const auto& v : versions) {
        if (version > 0 ? v.version == version : !v.deleted) found = &v;
    }
    return found;
}

void walk(std::unique_ptr<ReferenceWalk> w) {
    while (!w->pending.empty() && w->seen.count(w->pending.back().name) != 0) w->pending.pop_back();
    if (w->pending.empty()) return w->done(std::move(w->files));
    if (w->files.size() >= w->max_files) {
        return w->done(confluent_errors::invalid_schema("the schema's references reach more than " +
                                                        std::to_string(w->max_files) + " files"));
    }
    SchemaReference ref = std::move(w->pending.back());
    w->pending.pop_back();
    SubjectStore& store = w->store;
    std::string subject = ref.subject;
    store.list_subject_versions(
        std::move(subject), [w = std::move(w), ref = std::move(ref)](
                                Result<std::vector<SubjectVersion>> versions) mutable {
            if (!versions) return w->done(std::move(versions).error());
            const SubjectVersion* v = referenced_version(*versions, ref.version);
            if (v == nullptr) {
                return w->done(confluent_errors::invalid_schema(
                    describe(ref) + " does not resolve: the subject has no such version"));
            }
            SubjectStore& store = w->store;
            store.get_schema(v->schema_id, [w = std::move(w), ref = std::move(ref)](
                                               Result<std::optional<StoredSchema>> schema) mutable {
                if (!schema) return w->done(std::move(schema).error());
                if (!*schema) {
                    return w->done(confluent_errors::invalid_schema(
                        describe(ref) + " does not resolve: its schema is gone"));
                }
                w->seen.insert(ref.name);
                for (auto& nested : (*schema)->references) w->pending.push_back(std::move(nested));
                w->files.push_back(ProtoFile{std::move(ref.name), std::move((*schema)->text)});
                walk(std::move(w));
            });
        });
}

}  // namespace

void SchemaCompiler::resolve_references(std::vector<SchemaReference> references,
                                        Completion<std::vector<ProtoFile>> done) const {
    auto w = std::make_unique<ReferenceWalk>(
        ReferenceWalk{env_.storage.subjects(), env_.limits.max_files, {}, {}, {}, std::move(done)});
    // Walked from the back: reversed, the first reference is resolved first.
    w->pending.assign(std::make_move_iterator(references.rbegin()),
                      std::make_move_iterator(references.rend()));
    if (w->pending.empty()) {
        env_.loop.defer([w = std::move(w)]() mutable { w->done(std::vector<ProtoFile>{}); });
        return;
    }
    walk(std::move(w));
}

void SchemaCompiler::compile(std::string root_path, StoredSchema schema, LifetimeGuard wanted,
                             Completion<CompiledSetPtr> done) const {
    const int64_t id = schema.id;
    if (id > 0) {
        if (DescriptorSetPtr hit = env_.descriptors.find(
                cache_module(root_path), std::to_string(id), SetDetail::SourceInfo)) {
            env_.loop.defer(
                [set = hit->bytes, done = std::move(done)]() mutable { done(std::move(set)); });
            return;
        }
    }
    std::vector<SchemaReference> references = schema.references;
    resolve_references(std::move(references), [this, root_path = std::move(root_path),
                                               text = std::move(schema.text), id,
                                               wanted = std::move(wanted), done = std::move(done)](
                                                  Result<std::vector<ProtoFile>> files) mutable {
        if (!files) return done(confluent_errors::as_invalid_schema(std::move(files).error()));
        auto references = std::make_shared<VersionSnapshot>();
        references->record.module_name = "references";
        references->record.version = "resolved";
        references->files = std::move(*files);
        CompileRequest request{
            {ProtoFile{root_path, std::move(text)}}, {std::move(references)}, true};
        run_admitted<CompiledSchema>(
            env_.pool, env_.loop, env_.admissions.compile, std::move(wanted), "compile",
            [request = std::move(request), limits = env_.limits] {
                return compile_schema(request, limits);
            },
            [this, root_path = std::move(root_path), id,
             done = std::move(done)](Result<CompiledSchema> compiled) mutable {
                if (!compiled) {
                    return done(confluent_errors::as_invalid_schema(std::move(compiled).error()));
                }
                auto set = std::make_shared<const std::string>(std::move(compiled->descriptor_set));
                if (id > 0) remember(root_path, id, set);
                done(std::move(set));
            });
    });
}

void SchemaCompiler::normalize(std::string root_path, CompiledSetPtr set, LifetimeGuard wanted,
                               Completion<std::string> done) const {
    run_admitted<std::string>(
        env_.pool, env_.loop, env_.admissions.compile, std::move(wanted), "normalize",
        [root_path = std::move(root_path), set = std::move(set)] {
            return normalized_schema_text(*set, root_path);
        },
        std::move(done));
}

void SchemaCompiler::remember(std::string_view root_path, int64_t id, CompiledSetPtr set) const {
    env_.descriptors.insert(
        cache_module(root_path), std::to_string(id), SetDetail::SourceInfo,
        std::make_shared<const DescriptorSet>(DescriptorSet{std::move(set), {}}));
}

}  // namespace spoke
