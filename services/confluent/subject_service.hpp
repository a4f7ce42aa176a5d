#pragma once
// SubjectService: the Confluent dialect's reads, deletions and settings over the SubjectStore
// (docs/confluent.md). Typed in, Result out; errors carry Confluent's error_code.
// SubjectSchema: one version of a subject with its schema.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "registry/confluent/subject_model.hpp"
#include "services/service_env.hpp"

namespace spoke {

struct SubjectSchema {
    SubjectVersion version;
    StoredSchema schema;
};

class SubjectService {
  public:
    explicit SubjectService(const ServiceEnv& env) : env_(env) {}

    void schema(int64_t id, Completion<StoredSchema> done) const;
    // The versions holding schema `id` (soft-deleted ones only with `deleted`); 40403 when none.
    void usages(int64_t id, bool deleted, Completion<std::vector<SubjectVersion>> done) const;
    // Subjects starting with `prefix`, in byte order; those with no live version only with
    // `deleted`.
    void subjects(std::string prefix, bool deleted,
                  Completion<std::vector<std::string>> done) const;
    // A subject's version numbers, oldest first; 40401 when none.
    void versions(std::string subject, bool deleted, Completion<std::vector<int64_t>> done) const;
    // Version `version` (0: latest) with its schema; 40401 / 40402.
    void version(std::string subject, int64_t version, bool deleted,
                 Completion<SubjectSchema> done) const;
    void referenced_by(std::string subject, int64_t version,
                       Completion<std::vector<int64_t>> done) const;
    // Soft-deletes every live version (or, `permanent`, removes a soft-deleted subject);
    // answers the versions deleted.
    void delete_subject(std::string subject, bool permanent,
                        Completion<std::vector<SubjectVersion>> done) const;
    void delete_version(std::string subject, int64_t version, bool permanent,
                        Completion<SubjectVersion> done) const;

    // A setting: the subject's own (subject "": the registry's). For a subject without one,
    // 40408 / 40409 unless `default_to_global`, then the registry's; the registry's default is
    // BACKWARD / READWRITE.
    void setting(SubjectSetting which, std::string subject, bool default_to_global,
                 Completion<std::string> done) const;
    // The level or mode a subject's registrations go by: its own, else the registry's.
    void effective(SubjectSetting which, std::string subject, Completion<std::string> done) const;
    // 42203 / 42204 for a value that is not one; answers the value set.
    void set_setting(SubjectSetting which, std::string subject, std::string value,
                     Completion<std::string> done) const;
    // Removes the setting; answers what it was (the registry's: its default when it had none).
    void delete_setting(SubjectSetting which, std::string subject,
                        Completion<std::string> done) const;

    // 42205 when `subject`'s mode refuses changes (READONLY, READONLY_OVERRIDE); else the mode.
    void writable_mode(std::string subject, Completion<std::string> done) const;

  private:
    void versions_of(std::string subject, Completion<std::vector<SubjectVersion>> done) const;
    // Deletes `targets` of `subject` once no live schema references any of them (42206).
    void remove(std::string subject, std::vector<SubjectVersion> targets, bool permanent,
                Completion<std::vector<SubjectVersion>> done) const;
    void check_unreferenced(std::string subject, std::vector<int64_t> versions, size_t next,
                            Completion<Unit> done) const;
    const ServiceEnv& env_;
};

}  // namespace spoke
