#pragma once
// FilesystemSubjectStore: one loop's asynchronous SubjectStore over the shared SubjectFiles.
// Reads answer from memory on a later loop iteration; writes (file syncs) run on the WorkerPool.

#include "backends/filesystem/subject_files.hpp"
#include "backends/subject_store.hpp"

namespace spoke {

class EventLoop;
class WorkerPool;

class FilesystemSubjectStore final : public SubjectStore {
  public:
    // `files`, `loop` and `pool` outlive this adapter and every job it started.
    FilesystemSubjectStore(SubjectFiles& files, EventLoop& loop, WorkerPool& pool)
        : files_(files), loop_(loop), pool_(pool) {}

    void register_schema(SubjectRegistration reg, Done<RegisteredVersion> done) override;
    void get_schema(int64_t id, Done<std::optional<StoredSchema>> done) override;
    void list_subject_versions(std::string subject,
                               Done<std::vector<SubjectVersion>> done) override;
    void list_subjects(Done<std::vector<SubjectListing>> done) override;
    void schema_usages(int64_t id, Done<std::vector<SubjectVersion>> done) override;
    void delete_versions(std::string subject, std::vector<int64_t> versions, bool permanent,
                         Done<Unit> done) override;
    void referenced_by(std::string subject, int64_t version,
                       Done<std::vector<int64_t>> done) override;
    void get_setting(SubjectSetting setting, std::string subject,
                     Done<std::optional<std::string>> done) override;
    void put_setting(SubjectSetting setting, std::string subject, std::optional<std::string> value,
                     Done<Unit> done) override;

  private:
    template <class T, class F>
    void answer_later(Done<T> done, F&& read);
    template <class T>
    void on_pool(Callback<Result<T>()> work, Done<T> done);

    SubjectFiles& files_;
    EventLoop& loop_;
    WorkerPool& pool_;
};

}  // namespace spoke
