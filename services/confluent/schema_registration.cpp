#include "services/confluent/schema_registration.hpp"

#include <utility>

#include "backends/subject_store.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/guarded_work.hpp"
#include "registry/confluent/schema_files.hpp"
#include "registry/confluent/subject_names.hpp"
#include "registry/confluent/subject_versions.hpp"
#include "services/answer_later.hpp"
#include "services/compat_check.hpp"
#include "services/confluent/confluent_errors.hpp"
#include "services/work_admissions.hpp"

namespace spoke {
namespace {

// Another registration that wins the subject's next version makes ours check again (the older
// versions' compiled sets are cached by then, so a try is cheap); after this many tries the
// client is told to retry.
constexpr int kRegisterTries = 10;
// What a registration that checked nothing expects of the subject's latest version: anything.
constexpr int64_t kExpectNothing = -1;

// What is wrong with a request's subject or schema before any storage call, if anything.
std::optional<Error> input_problem(std::string_view subject, const SchemaInput& schema) {
    if (Status s = validate_subject(subject); !s) {
        return confluent_errors::invalid_subject(s.error().message);
    }
    if (schema.schema_type != "PROTOBUF") {
        return confluent_errors::invalid_schema(
            "schemaType " + quote_value(schema.schema_type) +
            " is not supported: Spoke serves PROTOBUF schemas (a body without schemaType means "
            "AVRO)");
    }
    if (schema.text.empty()) return confluent_errors::invalid_schema("schema is empty");
    for (const auto& r : schema.references) {
        if (r.name.empty() || r.subject.empty()) {
            return confluent_errors::invalid_schema(
                "every reference needs a non-empty name and subject");
        }
    }
    return std::nullopt;
}

StoredSchema submitted(const SchemaInput& in) {
    StoredSchema s;
    s.schema_type = in.schema_type;
    s.text = in.text;
    s.references = in.references;
    s.digest = schema_digest(in.schema_type, in.text, in.references);
    return s;
}

std::vector<std::string> finding_messages(const CompatOutcome& outcome) {
    std::vector<std::string> out;
    for (const auto& f : outcome.findings) {
        std::string m = "[" + std::string(violation_level_name(f.violation.level)) + "] " +
                        f.violation.rule + ": " + f.violation.message;
        if (!f.against_version.empty()) m += " (version " + f.against_version + ")";
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace

struct SchemaRegistration::Registration {
    RegisterQuery query;
    StoredSchema schema;  // the submitted one, digest set
    std::string root;
    bool import_mode = false;
    bool normalized = false;
    int tries = 0;
    CompiledSetPtr compiled;
    Completion<int64_t> done;
};

struct SchemaRegistration::Comparison {
    std::string root;
    CompatMode level = CompatMode::Backward;
    CompiledSetPtr newer;
    std::vector<SubjectVersion> older;  // newest first
    bool against_several = false;
    std::vector<CompiledVersion> compiled;
    LifetimeGuard wanted;
    Completion<CompatOutcome> done;
};

void SchemaRegistration::register_schema(RegisterQuery query, Completion<int64_t> done) const {
    if (auto problem = input_problem(query.subject, query.schema)) {
        return answer_later<int64_t>(env_.loop, std::move(done), std::move(*problem));
    }
    auto job = std::make_unique<Registration>();
    job->schema = submitted(query.schema);
    job->root = schema_root_path(query.subject);
    job->query = std::move(query);
    job->done = std::move(done);
    std::string subject = job->query.subject;
    subjects_.writable_mode(std::move(subject),
                            [this, job = std::move(job)](Result<std::string> mode) mutable {
                                if (!mode) return job->done(std::move(mode).error());
                                job->import_mode = *mode == "IMPORT";
                                attempt(std::move(job));
                            });
}

void SchemaRegistration::attempt(std::unique_ptr<Registration> job) const {
    std::string subject = job->query.subject;
    env_.storage.subjects().list_subject_versions(
        std::move(subject),
        [this, job = std::move(job)](Result<std::vector<SubjectVersion>> versions) mutable {
            if (!versions) return job->done(std::move(versions).error());
            if (const SubjectVersion* same =
                    live_version_with_digest(*versions, job->schema.digest)) {
                return job->done(same->schema_id);
            }
            if (!job->compiled) {
                // Compiled once, whatever the number of tries; then listed again, as time passed.
                LifetimeGuard wanted = job->query.wanted;
                std::string root = job->root;
                StoredSchema schema = job->schema;
                return compiler_.compile(
                    std::move(root), std::move(schema), std::move(wanted),
                    [this, job = std::move(job)](Result<CompiledSetPtr> set) mutable {
                        if (!set) return job->done(std::move(set).error());
                        job->compiled = std::move(*set);
                        attempt(std::move(job));
                    });
            }
            if (job->query.normalize && !job->normalized) {
                // Registered as its canonical reprint: the id is the reprint's.
                std::string root = job->root;
                CompiledSetPtr set = job->compiled;
                LifetimeGuard wanted = job->query.wanted;
                return compiler_.normalize(
                    std::move(root), std::move(set), std::move(wanted),
                    [this, job = std::move(job)](Result<std::string> text) mutable {
                        if (!text) {
                            return job->done(
                                confluent_errors::as_invalid_schema(std::move(text).error()));
                        }
                        job->normalized = true;
                        job->query.schema.text = std::move(*text);
                        job->schema = submitted(job->query.schema);
                        attempt(std::move(job));
                    });
            }
            std::vector<SubjectVersion> live = live_newest_first(*versions);
            const int64_t expected = live.empty() ? 0 : live.front().version;
            if (job->import_mode) return store(std::move(job), kExpectNothing);
            if (live.empty()) return store(std::move(job), expected);
            std::string subject = job->query.subject;
            subjects_.effective(
                SubjectSetting::Compatibility, std::move(subject),
                [this, job = std::move(job), live = std::move(live),
                 expected](Result<std::string> level_name) mutable {
                    if (!level_name) return job->done(std::move(level_name).error());
                    std::optional<CompatMode> level = parse_compat_mode(*level_name);
                    if (!level) {
                        return job->done(
                            Error::internal("an unknown compatibility level is stored"));
                    }
                    if (*level == CompatMode::None) return store(std::move(job), kExpectNothing);
                    const bool transitive = is_transitive(*level);
                    if (!transitive) live.resize(1);
                    auto cmp = std::make_unique<Comparison>();
                    cmp->root = job->root;
                    cmp->level = *level;
                    cmp->newer = job->compiled;
                    cmp->older = std::move(live);
                    cmp->against_several = transitive;
                    cmp->wanted = job->query.wanted;
                    cmp->done = [this, job = std::move(job),
                                 expected](Result<CompatOutcome> outcome) mutable {
                        if (!outcome) return job->done(std::move(outcome).error());
                        if (!outcome->compatible()) {
                            std::string message =
                                "Schema being registered is incompatible with an earlier schema "
                                "for subject " +
                                quote_value(job->query.subject) + " (" +
                                compat_mode_name(outcome->mode) + "), details: ";
                            bool first = true;
                            for (const auto& m : finding_messages(*outcome)) {
                                if (!first) message += "; ";
                                message += m;
                                first = false;
                            }
                            return job->done(confluent_errors::incompatible(std::move(message)));
                        }
                        store(std::move(job), expected);
                    };
                    compare(std::move(cmp));
                });
        });
}

void SchemaRegistration::store(std::unique_ptr<Registration> job, int64_t expected_latest) const {
    SubjectRegistration reg{job->query.subject, job->schema, expected_latest};
    env_.storage.subjects().register_schema(
        std::move(reg), [this, job = std::move(job)](Result<RegisteredVersion> stored) mutable {
            if (!stored) {
                if (stored.error().code == ErrorCode::VersionExists &&
                    ++job->tries < kRegisterTries) {
                    return attempt(std::move(job));
                }
                if (stored.error().code == ErrorCode::VersionExists) {
                    return job->done(Error::unavailable(
                        "subject " + quote_value(job->query.subject) + " changed during each of " +
                        std::to_string(kRegisterTries) + " tries to register; retry"));
                }
                return job->done(std::move(stored).error());
            }
            const int64_t id = stored->version.schema_id;
            compiler_.remember(job->root, id, job->compiled);
            job->done(id);
        });
}

void SchemaRegistration::compare(std::unique_ptr<Comparison> job) const {
    if (job->compiled.size() < job->older.size()) {
        const SubjectVersion& next = job->older[job->compiled.size()];
        return subjects_.schema(
            next.schema_id, [this, job = std::move(job)](Result<StoredSchema> schema) mutable {
                if (!schema) return job->done(std::move(schema).error());
                std::string root = job->root;
                LifetimeGuard wanted = job->wanted;
                compiler_.compile(std::move(root), std::move(*schema), std::move(wanted),
                                  [this, job = std::move(job)](Result<CompiledSetPtr> set) mutable {
                                      if (!set) return job->done(std::move(set).error());
                                      const SubjectVersion& v = job->older[job->compiled.size()];
                                      job->compiled.push_back(CompiledVersion{
                                          std::to_string(v.version), std::move(*set), {job->root}});
                                      compare(std::move(job));
                                  });
            });
    }
    CompiledVersion newer{"new", job->newer, {job->root}};
    LifetimeGuard wanted = job->wanted;
    run_admitted<CompatOutcome>(
        env_.pool, env_.loop, env_.admissions.compatibility, std::move(wanted), "compatibility",
        [level = job->level, newer = std::move(newer), older = std::move(job->compiled),
         several = job->against_several] { return run_compat_check(level, newer, older, several); },
        std::move(job->done));
}

void SchemaRegistration::check(CompatQuery query, Completion<CompatAnswer> done) const {
    if (auto problem = input_problem(query.subject, query.schema)) {
        return answer_later<CompatAnswer>(env_.loop, std::move(done), std::move(*problem));
    }
    // Compiled first: a schema that does not compile is 42201, also with nothing to compare.
    std::string root = schema_root_path(query.subject);
    LifetimeGuard wanted = query.wanted;
    StoredSchema schema = submitted(query.schema);
    compiler_.compile(std::move(root), std::move(schema), std::move(wanted),
                      [this, query = std::move(query),
                       done = std::move(done)](Result<CompiledSetPtr> set) mutable {
                          if (!set) return done(std::move(set).error());
                          check_compiled(std::move(query), std::move(*set), std::move(done));
                      });
}

void SchemaRegistration::check_compiled(CompatQuery query, CompiledSetPtr newer,
                                        Completion<CompatAnswer> done) const {
    std::string subject = query.subject;
    env_.storage.subjects().list_subject_versions(
        std::move(subject),
        [this, query = std::move(query), newer = std::move(newer),
         done = std::move(done)](Result<std::vector<SubjectVersion>> versions) mutable {
            if (!versions) return done(std::move(versions).error());
            std::vector<SubjectVersion> older;
            if (query.version && *query.version > 0) {
                if (versions->empty()) {
                    return done(confluent_errors::subject_not_found(query.subject));
                }
                const SubjectVersion* v = find_subject_version(*versions, *query.version, false);
                if (v == nullptr) {
                    return done(confluent_errors::version_not_found(query.subject, *query.version));
                }
                older.push_back(*v);
            } else {
                older = live_newest_first(*versions);
                if (query.version && !older.empty()) older.resize(1);
            }
            if (older.empty()) return done(CompatAnswer{});
            std::string subject = query.subject;
            subjects_.effective(
                SubjectSetting::Compatibility, std::move(subject),
                [this, query = std::move(query), newer = std::move(newer), older = std::move(older),
                 done = std::move(done)](Result<std::string> level_name) mutable {
                    if (!level_name) return done(std::move(level_name).error());
                    std::optional<CompatMode> level = parse_compat_mode(*level_name);
                    if (!level) {
                        return done(Error::internal("an unknown compatibility level is stored"));
                    }
                    // Without a version: the versions the level checks at registration.
                    const bool several = !query.version && is_transitive(*level);
                    if (!query.version && !several) older.resize(1);
                    auto cmp = std::make_unique<Comparison>();
                    cmp->root = schema_root_path(query.subject);
                    cmp->level = *level;
                    cmp->newer = std::move(newer);
                    cmp->older = std::move(older);
                    cmp->against_several = several;
                    cmp->wanted = query.wanted;
                    cmp->done = [done = std::move(done)](Result<CompatOutcome> outcome) mutable {
                        if (!outcome) return done(std::move(outcome).error());
                        done(CompatAnswer{outcome->compatible(), finding_messages(*outcome)});
                    };
                    compare(std::move(cmp));
                });
        });
}

void SchemaRegistration::lookup(LookupQuery query, Completion<SubjectSchema> done) const {
    if (auto problem = input_problem(query.subject, query.schema)) {
        return answer_later<SubjectSchema>(env_.loop, std::move(done), std::move(*problem));
    }
    if (!query.normalize) return find_by_content(std::move(query), std::move(done));
    std::string root = schema_root_path(query.subject);
    LifetimeGuard wanted = query.wanted;
    StoredSchema schema = submitted(query.schema);  // before the capture below moves `query`
    compiler_.compile(
        root, std::move(schema), wanted,
        [this, root, wanted, query = std::move(query),
         done = std::move(done)](Result<CompiledSetPtr> set) mutable {
            if (!set) return done(std::move(set).error());
            compiler_.normalize(
                std::move(root), std::move(*set), std::move(wanted),
                [this, query = std::move(query),
                 done = std::move(done)](Result<std::string> text) mutable {
                    if (!text) {
                        return done(confluent_errors::as_invalid_schema(std::move(text).error()));
                    }
                    query.schema.text = std::move(*text);
                    find_by_content(std::move(query), std::move(done));
                });
        });
}

void SchemaRegistration::find_by_content(LookupQuery query, Completion<SubjectSchema> done) const {
    std::string subject = query.subject;
    env_.storage.subjects().list_subject_versions(
        std::move(subject), [this, query = std::move(query), done = std::move(done)](
                                Result<std::vector<SubjectVersion>> versions) mutable {
            if (!versions) return done(std::move(versions).error());
            std::vector<SubjectVersion> candidates;  // newest first
            for (auto it = versions->rbegin(); it != versions->rend(); ++it) {
                if (query.deleted || !it->deleted) candidates.push_back(*it);
            }
            if (candidates.empty()) return done(confluent_errors::subject_not_found(query.subject));
            const std::string digest = submitted(query.schema).digest;
            for (const auto& v : candidates) {
                if (v.schema_digest != digest) continue;
                return subjects_.schema(
                    v.schema_id, [v, done = std::move(done)](Result<StoredSchema> s) mutable {
                        if (!s) return done(std::move(s).error());
                        done(SubjectSchema{v, std::move(*s)});
                    });
            }
            if (query.schema.references_given) {
                return done(confluent_errors::schema_not_found(
                    "subject " + quote_value(query.subject) + " holds no such schema"));
            }
            match_text(std::move(query), std::move(candidates), 0, std::move(done));
        });
}

void SchemaRegistration::match_text(LookupQuery query, std::vector<SubjectVersion> candidates,
                                    size_t next, Completion<SubjectSchema> done) const {
    if (next == candidates.size()) {
        return done(confluent_errors::schema_not_found("subject " + quote_value(query.subject) +
                                                       " holds no such schema"));
    }
    const int64_t id = candidates[next].schema_id;
    subjects_.schema(id, [this, query = std::move(query), candidates = std::move(candidates), next,
                          done = std::move(done)](Result<StoredSchema> s) mutable {
        if (!s) return done(std::move(s).error());
        if (s->schema_type == query.schema.schema_type && s->text == query.schema.text) {
            return done(SubjectSchema{candidates[next], std::move(*s)});
        }
        match_text(std::move(query), std::move(candidates), next + 1, std::move(done));
    });
}

void SchemaRegistration::serialized(std::string subject, StoredSchema schema, LifetimeGuard wanted,
                                    Completion<std::string> done) const {
    if (!subject.empty()) {
        return serialize_under(schema_root_path(subject), std::move(schema), std::move(wanted),
                               std::move(done));
    }
    const int64_t id = schema.id;
    subjects_.usages(
        id, true,
        [this, schema = std::move(schema), wanted = std::move(wanted),
         done = std::move(done)](Result<std::vector<SubjectVersion>> usages) mutable {
            if (!usages) return done(std::move(usages).error());
            // No subject holds it any more (deleted meanwhile): the path a subject-less schema has.
            std::string root = schema_root_path(usages->empty() ? "" : usages->front().subject);
            serialize_under(std::move(root), std::move(schema), std::move(wanted), std::move(done));
        });
}

void SchemaRegistration::serialize_under(std::string root, StoredSchema schema,
                                         LifetimeGuard wanted, Completion<std::string> done) const {
    std::string path = root;
    compiler_.compile(
        std::move(root), std::move(schema), std::move(wanted),
        [path = std::move(path), done = std::move(done)](Result<CompiledSetPtr> set) mutable {
            if (!set) return done(std::move(set).error());
            auto file = root_file_descriptor(**set, path);
            if (!file) return done(std::move(file).error());
            done(base64_encode(*file));
        });
}

}  // namespace spoke
