#include "backends/filesystem/filesystem_subject_store.hpp"

#include "reactor/event_loop.hpp"
#include "reactor/guarded_work.hpp"

namespace spoke {

template <class T, class F>
void FilesystemSubjectStore::answer_later(Done<T> done, F&& read) {
    Result<T> result = call_guarded<T>("subject storage", [&]() -> Result<T> { return read(); });
    loop_.defer([done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
    });
}

template <class T>
void FilesystemSubjectStore::on_pool(Callback<Result<T>()> work, Done<T> done) {
    // Captures only what outlives the job (SubjectFiles), never `this`.
    run_guarded<T>(pool_, loop_, "subject storage", std::move(work), std::move(done));
}

void FilesystemSubjectStore::register_schema(SubjectRegistration reg,
                                             Done<RegisteredVersion> done) {
    SubjectFiles* files = &files_;
    on_pool<RegisteredVersion>(
        [files, reg = std::move(reg)] { return files->register_schema(reg); }, std::move(done));
}

void FilesystemSubjectStore::get_schema(int64_t id, Done<std::optional<StoredSchema>> done) {
    answer_later<std::optional<StoredSchema>>(std::move(done),
                                              [&] { return files_.get_schema(id); });
}

void FilesystemSubjectStore::list_subject_versions(std::string subject,
                                                   Done<std::vector<SubjectVersion>> done) {
    answer_later<std::vector<SubjectVersion>>(
        std::move(done), [&] { return files_.list_subject_versions(subject); });
}

void FilesystemSubjectStore::list_subjects(Done<std::vector<SubjectListing>> done) {
    answer_later<std::vector<SubjectListing>>(std::move(done),
                                              [&] { return files_.list_subjects(); });
}

void FilesystemSubjectStore::schema_usages(int64_t id, Done<std::vector<SubjectVersion>> done) {
    answer_later<std::vector<SubjectVersion>>(std::move(done),
                                              [&] { return files_.schema_usages(id); });
}

void FilesystemSubjectStore::delete_versions(std::string subject, std::vector<int64_t> versions,
                                             bool permanent, Done<Unit> done) {
    SubjectFiles* files = &files_;
    on_pool<Unit>([files, subject = std::move(subject), versions = std::move(versions),
                   permanent] { return files->delete_versions(subject, versions, permanent); },
                  std::move(done));
}

void FilesystemSubjectStore::referenced_by(std::string subject, int64_t version,
                                           Done<std::vector<int64_t>> done) {
    answer_later<std::vector<int64_t>>(std::move(done),
                                       [&] { return files_.referenced_by(subject, version); });
}

void FilesystemSubjectStore::get_setting(SubjectSetting setting, std::string subject,
                                         Done<std::optional<std::string>> done) {
    answer_later<std::optional<std::string>>(std::move(done),
                                             [&] { return files_.get_setting(setting, subject); });
}

void FilesystemSubjectStore::put_setting(SubjectSetting setting, std::string subject,
                                         std::optional<std::string> value, Done<Unit> done) {
    SubjectFiles* files = &files_;
    on_pool<Unit>(
        [files, setting, subject = std::move(subject), value = std::move(value)] {
            return files->put_setting(setting, subject, value);
        },
        std::move(done));
}

}  // namespace spoke
