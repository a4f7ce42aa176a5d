#pragma once
// SubjectStore: the asynchronous store of the Confluent dialect's subjects, schemas and settings
// (docs/confluent.md). One per Storage, same contract: called on the owning loop's thread, `done`
// runs later on that loop exactly once, Unavailable when the backend is down or late.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "registry/confluent/subject_model.hpp"

namespace spoke {

class SubjectStore {
  public:
    template <class T>
    using Done = Callback<void(Result<T>)>;
    virtual ~SubjectStore() = default;

    // Registers `reg.schema` under `reg.subject`, atomically: a live version holding a schema of
    // the same digest completes with that version (existed); otherwise the schema gets the id
    // its digest already has (a new one, never reused, when none) and the subject the version
    // after its highest, soft-deleted ones included. VersionExists when the subject's highest
    // live version is no longer `reg.expected_latest`.
    virtual void register_schema(SubjectRegistration reg, Done<RegisteredVersion> done) = 0;
    // The schema under `id` while some version (soft-deleted ones included) holds it.
    virtual void get_schema(int64_t id, Done<std::optional<StoredSchema>> done) = 0;
    // Every version of `subject`, soft-deleted ones included, oldest first; empty when none.
    virtual void list_subject_versions(std::string subject,
                                       Done<std::vector<SubjectVersion>> done) = 0;
    // Every subject with at least one version, in byte order.
    virtual void list_subjects(Done<std::vector<SubjectListing>> done) = 0;
    // The versions (soft-deleted ones included) that hold schema `id`, by subject and version.
    virtual void schema_usages(int64_t id, Done<std::vector<SubjectVersion>> done) = 0;
    // Soft-deletes (or, `permanent`, removes) these versions of `subject`; versions it does not
    // have are ignored.
    virtual void delete_versions(std::string subject, std::vector<int64_t> versions, bool permanent,
                                 Done<Unit> done) = 0;
    // Ids of the schemas held by live versions whose references name `subject` `version`.
    virtual void referenced_by(std::string subject, int64_t version,
                               Done<std::vector<int64_t>> done) = 0;
    // A subject's own setting (subject "": the registry's), nullopt when it has none.
    virtual void get_setting(SubjectSetting setting, std::string subject,
                             Done<std::optional<std::string>> done) = 0;
    // Sets (nullopt: removes) a subject's own setting (subject "": the registry's).
    virtual void put_setting(SubjectSetting setting, std::string subject,
                             std::optional<std::string> value, Done<Unit> done) = 0;
};

}  // namespace spoke
