#include "services/confluent/subject_service.hpp"

#include <utility>

#include "backends/subject_store.hpp"
#include "reactor/event_loop.hpp"
#include "registry/confluent/subject_names.hpp"
#include "registry/confluent/subject_versions.hpp"
#include "services/answer_later.hpp"
#include "services/confluent/confluent_errors.hpp"

namespace spoke {
namespace {

std::string default_of(SubjectSetting which) {
    return which == SubjectSetting::Compatibility ? "BACKWARD" : "READWRITE";
}

Error no_own_setting(SubjectSetting which, std::string_view subject) {
    return which == SubjectSetting::Compatibility ? confluent_errors::no_subject_level(subject)
                                                  : confluent_errors::no_subject_mode(subject);
}

std::optional<Error> subject_problem(std::string_view subject) {
    if (Status s = validate_subject(subject); !s) {
        return confluent_errors::invalid_subject(s.error().message);
    }
    return std::nullopt;
}

}  // namespace

void SubjectService::schema(int64_t id, Completion<StoredSchema> done) const {
    env_.storage.subjects().get_schema(
        id, [id, done = std::move(done)](Result<std::optional<StoredSchema>> found) mutable {
            if (!found) return done(std::move(found).error());
            if (!*found) {
                return done(confluent_errors::schema_not_found("schema " + std::to_string(id) +
                                                               " not found"));
            }
            done(std::move(**found));
        });
}

void SubjectService::usages(int64_t id, bool deleted,
                            Completion<std::vector<SubjectVersion>> done) const {
    env_.storage.subjects().schema_usages(
        id, [id, deleted, done = std::move(done)](Result<std::vector<SubjectVersion>> all) mutable {
            if (!all) return done(std::move(all).error());
            if (all->empty()) {
                return done(confluent_errors::schema_not_found("schema " + std::to_string(id) +
                                                               " not found"));
            }
            std::vector<SubjectVersion> shown;
            for (auto& v : *all) {
                if (deleted || !v.deleted) shown.push_back(std::move(v));
            }
            done(std::move(shown));
        });
}

void SubjectService::subjects(std::string prefix, bool deleted,
                              Completion<std::vector<std::string>> done) const {
    env_.storage.subjects().list_subjects(
        [prefix = std::move(prefix), deleted,
         done = std::move(done)](Result<std::vector<SubjectListing>> all) mutable {
            if (!all) return done(std::move(all).error());
            std::vector<std::string> names;
            for (auto& s : *all) {
                if ((deleted || s.live) && s.subject.starts_with(prefix)) {
                    names.push_back(std::move(s.subject));
                }
            }
            done(std::move(names));
        });
}

void SubjectService::versions_of(std::string subject,
                                 Completion<std::vector<SubjectVersion>> done) const {
    if (auto problem = subject_problem(subject)) {
        return answer_later<std::vector<SubjectVersion>>(env_.loop, std::move(done), *problem);
    }
    std::string name = subject;
    env_.storage.subjects().list_subject_versions(
        std::move(name), [subject = std::move(subject),
                          done = std::move(done)](Result<std::vector<SubjectVersion>> all) mutable {
            if (!all) return done(std::move(all).error());
            if (all->empty()) return done(confluent_errors::subject_not_found(subject));
            done(std::move(*all));
        });
}

void SubjectService::versions(std::string subject, bool deleted,
                              Completion<std::vector<int64_t>> done) const {
    std::string name = subject;
    versions_of(std::move(name), [subject = std::move(subject), deleted, done = std::move(done)](
                                     Result<std::vector<SubjectVersion>> all) mutable {
        if (!all) return done(std::move(all).error());
        std::vector<int64_t> numbers;
        for (const auto& v : *all) {
            if (deleted || !v.deleted) numbers.push_back(v.version);
        }
        if (numbers.empty()) return done(confluent_errors::subject_not_found(subject));
        done(std::move(numbers));
    });
}

void SubjectService::version(std::string subject, int64_t version, bool deleted,
                             Completion<SubjectSchema> done) const {
    std::string name = subject;
    versions_of(
        std::move(name), [this, subject = std::move(subject), version, deleted,
                          done = std::move(done)](Result<std::vector<SubjectVersion>> all) mutable {
            if (!all) return done(std::move(all).error());
            const SubjectVersion* found = find_subject_version(*all, version, deleted);
            if (found == nullptr) {
                if (version == 0) return done(confluent_errors::subject_not_found(subject));
                return done(confluent_errors::version_not_found(subject, version));
            }
            schema(found->schema_id,
                   [v = *found, done = std::move(done)](Result<StoredSchema> stored) mutable {
                       if (!stored) return done(std::move(stored).error());
                       done(SubjectSchema{std::move(v), std::move(*stored)});
                   });
        });
}

void SubjectService::referenced_by(std::string subject, int64_t version,
                                   Completion<std::vector<int64_t>> done) const {
    std::string name = subject;
    versions_of(std::move(name), [this, subject = std::move(subject), version,
                                  done = std::move(done)](
                                     Result<std::vector<SubjectVersion>> all) mutable {
        if (!all) return done(std::move(all).error());
        const SubjectVersion* found = find_subject_version(*all, version, true);
        if (found == nullptr) return done(confluent_errors::version_not_found(subject, version));
        env_.storage.subjects().referenced_by(std::move(subject), found->version, std::move(done));
    });
}

void SubjectService::check_unreferenced(std::string subject, std::vector<int64_t> versions,
                                        size_t next, Completion<Unit> done) const {
    if (next == versions.size()) return answer_later<Unit>(env_.loop, std::move(done), Unit{});
    const int64_t version = versions[next];
    std::string name = subject;
    env_.storage.subjects().referenced_by(
        std::move(name), version,
        [this, subject = std::move(subject), versions = std::move(versions), next, version,
         done = std::move(done)](Result<std::vector<int64_t>> ids) mutable {
            if (!ids) return done(std::move(ids).error());
            if (!ids->empty()) return done(confluent_errors::referenced(subject, version));
            check_unreferenced(std::move(subject), std::move(versions), next + 1, std::move(done));
        });
}

void SubjectService::remove(std::string subject, std::vector<SubjectVersion> targets,
                            bool permanent, Completion<std::vector<SubjectVersion>> done) const {
    std::vector<int64_t> numbers;
    for (const auto& v : targets) numbers.push_back(v.version);
    std::string name = subject;
    std::vector<int64_t> checked = numbers;
    check_unreferenced(std::move(name), std::move(checked), 0,
                       [this, subject = std::move(subject), numbers = std::move(numbers),
                        targets = std::move(targets), permanent,
                        done = std::move(done)](Result<Unit> unreferenced) mutable {
                           if (!unreferenced) return done(std::move(unreferenced).error());
                           env_.storage.subjects().delete_versions(
                               std::move(subject), std::move(numbers), permanent,
                               [targets = std::move(targets),
                                done = std::move(done)](Result<Unit> deleted) mutable {
                                   if (!deleted) return done(std::move(deleted).error());
                                   done(std::move(targets));
                               });
                       });
}

void SubjectService::delete_subject(std::string subject, bool permanent,
                                    Completion<std::vector<SubjectVersion>> done) const {
    std::string name = subject;
    writable_mode(std::move(name), [this, subject = std::move(subject), permanent,
                                    done = std::move(done)](Result<std::string> mode) mutable {
        if (!mode) return done(std::move(mode).error());
        std::string name = subject;
        versions_of(std::move(name),
                    [this, subject = std::move(subject), permanent,
                     done = std::move(done)](Result<std::vector<SubjectVersion>> all) mutable {
                        if (!all) return done(std::move(all).error());
                        std::vector<SubjectVersion> targets;
                        for (const auto& v : *all) {
                            if (!v.deleted && permanent) {
                                return done(confluent_errors::subject_not_soft_deleted(subject));
                            }
                            if (permanent || !v.deleted) targets.push_back(v);
                        }
                        if (targets.empty())
                            return done(confluent_errors::subject_not_found(subject));
                        remove(std::move(subject), std::move(targets), permanent, std::move(done));
                    });
    });
}

void SubjectService::delete_version(std::string subject, int64_t version, bool permanent,
                                    Completion<SubjectVersion> done) const {
    std::string name = subject;
    writable_mode(std::move(name), [this, subject = std::move(subject), version, permanent,
                                    done = std::move(done)](Result<std::string> mode) mutable {
        if (!mode) return done(std::move(mode).error());
        std::string name = subject;
        versions_of(std::move(name), [this, subject = std::move(subject), version, permanent,
                                      done = std::move(done)](
                                         Result<std::vector<SubjectVersion>> all) mutable {
            if (!all) return done(std::move(all).error());
            const SubjectVersion* found = find_subject_version(*all, version, permanent);
            if (found == nullptr) {
                return done(confluent_errors::version_not_found(subject, version));
            }
            if (permanent && !found->deleted) {
                return done(confluent_errors::version_not_soft_deleted(subject, found->version));
            }
            remove(std::move(subject), {*found}, permanent,
                   [done = std::move(done)](Result<std::vector<SubjectVersion>> removed) mutable {
                       if (!removed) return done(std::move(removed).error());
                       done(std::move(removed->front()));
                   });
        });
    });
}

void SubjectService::setting(SubjectSetting which, std::string subject, bool default_to_global,
                             Completion<std::string> done) const {
    if (!subject.empty()) {
        if (auto problem = subject_problem(subject)) {
            return answer_later<std::string>(env_.loop, std::move(done), *problem);
        }
    }
    std::string name = subject;
    env_.storage.subjects().get_setting(
        which, std::move(name),
        [this, which, subject = std::move(subject), default_to_global,
         done = std::move(done)](Result<std::optional<std::string>> own) mutable {
            if (!own) return done(std::move(own).error());
            if (*own) return done(std::move(**own));
            if (subject.empty()) return done(default_of(which));
            if (!default_to_global) return done(no_own_setting(which, subject));
            setting(which, std::string(), false, std::move(done));
        });
}

void SubjectService::effective(SubjectSetting which, std::string subject,
                               Completion<std::string> done) const {
    setting(which, std::move(subject), true, std::move(done));
}

void SubjectService::set_setting(SubjectSetting which, std::string subject, std::string value,
                                 Completion<std::string> done) const {
    if (which == SubjectSetting::Compatibility && !is_compatibility_level(value)) {
        return answer_later<std::string>(env_.loop, std::move(done),
                                         confluent_errors::invalid_level(value));
    }
    if (which == SubjectSetting::Mode && !is_subject_mode(value)) {
        return answer_later<std::string>(env_.loop, std::move(done),
                                         confluent_errors::invalid_mode(value));
    }
    if (!subject.empty()) {
        if (auto problem = subject_problem(subject)) {
            return answer_later<std::string>(env_.loop, std::move(done), *problem);
        }
    }
    std::string stored = value;
    env_.storage.subjects().put_setting(
        which, std::move(subject), std::move(stored),
        [value = std::move(value), done = std::move(done)](Result<Unit> put) mutable {
            if (!put) return done(std::move(put).error());
            done(std::move(value));
        });
}

void SubjectService::delete_setting(SubjectSetting which, std::string subject,
                                    Completion<std::string> done) const {
    std::string name = subject;
    setting(which, std::move(name), false,
            [this, which, subject = std::move(subject),
             done = std::move(done)](Result<std::string> previous) mutable {
                if (!previous) return done(std::move(previous).error());
                env_.storage.subjects().put_setting(
                    which, std::move(subject), std::nullopt,
                    [previous = std::move(*previous),
                     done = std::move(done)](Result<Unit> removed) mutable {
                        if (!removed) return done(std::move(removed).error());
                        done(std::move(previous));
                    });
            });
}

void SubjectService::writable_mode(std::string subject, Completion<std::string> done) const {
    std::string name = subject;
    effective(
        SubjectSetting::Mode, std::move(name),
        [subject = std::move(subject), done = std::move(done)](Result<std::string> mode) mutable {
            if (!mode) return done(std::move(mode).error());
            if (mode->starts_with("READONLY")) {
                return done(confluent_errors::not_permitted(
                    "subject " + quote_value(subject) + " is in " + *mode +
                    " mode: registrations and deletions are refused"));
            }
            done(std::move(*mode));
        });
}

}  // namespace spoke
