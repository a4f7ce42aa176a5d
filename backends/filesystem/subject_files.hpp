#pragma once
// SubjectFiles: the synchronous, thread-safe, crash-safe store of the Confluent dialect's schemas,
// subjects and settings under a filesystem storage root, all held in memory and loaded at open:
//   confluent/schemas/<id>.json           (StoredSchema; never removed, so ids are never reused)
//   confluent/subjects/<sha256 hex of name>.json (the subject's versions)
//   confluent/settings.json               (compatibility levels and modes)
// Every file is replaced whole by a synced temp file and a rename, then a directory sync. The
// root's LOCK keeps other processes out, so one mutex orders the writers.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "registry/confluent/subject_model.hpp"

namespace spoke {

class SubjectFiles {
  public:
    // `root` is the storage root (SPOKE_FILESYSTEM_ROOT). Constructing touches nothing.
    explicit SubjectFiles(const std::string& root);
    SubjectFiles(const SubjectFiles&) = delete;
    SubjectFiles& operator=(const SubjectFiles&) = delete;

    // Creates confluent/ and its folders, removes temp files, loads every record. Internal
    // (naming the path: for the operator) when a folder cannot be made or a record is malformed.
    Status open();

    // The SubjectStore operations (subject_store.hpp), with the same meanings.
    Result<RegisteredVersion> register_schema(const SubjectRegistration& reg);
    std::optional<StoredSchema> get_schema(int64_t id) const;
    std::vector<SubjectVersion> list_subject_versions(const std::string& subject) const;
    std::vector<SubjectListing> list_subjects() const;
    std::vector<SubjectVersion> schema_usages(int64_t id) const;
    Status delete_versions(const std::string& subject, const std::vector<int64_t>& versions,
                           bool permanent);
    std::vector<int64_t> referenced_by(const std::string& subject, int64_t version) const;
    std::optional<std::string> get_setting(SubjectSetting setting,
                                           const std::string& subject) const;
    Status put_setting(SubjectSetting setting, const std::string& subject,
                       const std::optional<std::string>& value);

  private:
    // Writes `bytes` to `dir`/`name` durably; caller holds mutex_.
    Status place(const std::string& dir, const std::string& name, const std::string& bytes) const;
    Status persist_subject(const std::string& subject) const;
    Status persist_settings() const;
    // Adds `delta` to the holders of each version's schema.
    void count_holders(const std::vector<SubjectVersion>& versions, int delta);

    std::string dir_;
    std::string schemas_dir_;
    std::string subjects_dir_;
    mutable std::mutex mutex_;
    std::map<int64_t, StoredSchema> schemas_;
    std::unordered_map<std::string, int64_t> id_by_digest_;
    std::map<std::string, std::vector<SubjectVersion>> subjects_;  // versions oldest first
    // How many versions (soft-deleted ones included) hold each schema: a schema no version holds
    // is not served, and the id lookup must not scan every subject to know.
    std::unordered_map<int64_t, int64_t> holders_;
    std::map<std::string, std::string> compatibility_;
    std::map<std::string, std::string> mode_;
};

}  // namespace spoke
