#include "backends/filesystem/subject_files.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "backends/filesystem/durable_files.hpp"
#include "backends/filesystem/record_json.hpp"
#include "reactor/log.hpp"
#include "registry/digest.hpp"

namespace spoke {
namespace {

constexpr const char* kTempPrefix = ".tmp-";
constexpr const char* kSuffix = ".json";
constexpr const char* kSettingsFile = "settings.json";

// Details name paths, so they go to the operator's log; callers get a generic Internal.
void log_detail(std::string_view what, std::string_view detail) {
    Log::write(LogLevel::Warn, "subject storage", {{"what", what}, {"detail", detail}});
}

Error unusable(const std::string& detail) {
    return Error::internal("the Confluent subject store cannot be used: " + detail);
}

Error write_failed() {
    return Error::internal("the subject change could not be stored");
}

// Reads every "*.json" of `dir` (temp files removed), calling `take` with each file's text.
template <class Take>
Status read_records(const std::string& dir, Take take) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(kTempPrefix, 0) == 0) {
            std::error_code rec;
            std::filesystem::remove(it->path(), rec);
            continue;
        }
        if (name.size() <= 5 || name.substr(name.size() - 5) != kSuffix) continue;
        std::string text;
        if (auto io = fsio::read_file(it->path().string(), text); !io.ok()) {
            return unusable(io.detail);
        }
        if (Status s = take(text); !s)
            return unusable(it->path().string() + ": " + s.error().message);
    }
    if (ec) return unusable(dir + ": " + ec.message());
    return ok_status();
}

}  // namespace

SubjectFiles::SubjectFiles(const std::string& root)
    : dir_(fsio::join(root, "confluent")),
      schemas_dir_(fsio::join(dir_, "schemas")),
      subjects_dir_(fsio::join(dir_, "subjects")) {}

Status SubjectFiles::open() {
    std::lock_guard lock(mutex_);
    for (const std::string& d : {dir_, schemas_dir_, subjects_dir_}) {
        if (auto io = fsio::make_dir(d, true); !io.ok()) return unusable(io.detail);
    }
    Status loaded = read_records(schemas_dir_, [this](const std::string& text) -> Status {
        auto schema = fsjson::decode_schema(text);
        if (!schema) return std::move(schema).error();
        id_by_digest_[schema->digest] = schema->id;
        const int64_t id = schema->id;
        schemas_[id] = std::move(schema).value();
        return ok_status();
    });
    if (!loaded) return loaded;
    loaded = read_records(subjects_dir_, [this](const std::string& text) -> Status {
        auto versions = fsjson::decode_subject(text);
        if (!versions) return std::move(versions).error();
        if (versions->empty()) return ok_status();
        const std::string subject = versions->front().subject;
        count_holders(*versions, 1);
        subjects_[subject] = std::move(versions).value();
        return ok_status();
    });
    if (!loaded) return loaded;
    std::string text;
    auto io = fsio::read_file(fsio::join(dir_, kSettingsFile), text);
    if (io.error == ENOENT) return ok_status();
    if (!io.ok()) return unusable(io.detail);
    auto settings = fsjson::decode_settings(text);
    if (!settings) return unusable(kSettingsFile + std::string(": ") + settings.error().message);
    compatibility_ = std::move(settings->first);
    mode_ = std::move(settings->second);
    return ok_status();
}

Status SubjectFiles::place(const std::string& dir, const std::string& name,
                           const std::string& bytes) const {
    const std::string tmp = fsio::join(dir, fsio::unique_name(kTempPrefix));
    fsio::IoResult io = fsio::write_file_synced(tmp, bytes);
    if (io.ok()) io = fsio::rename_path(tmp, fsio::join(dir, name));
    if (io.ok()) io = fsio::fsync_dir(dir);
    if (!io.ok()) {
        fsio::remove_tree(tmp);
        log_detail("write", io.detail);
        return write_failed();
    }
    return ok_status();
}

Status SubjectFiles::persist_subject(const std::string& subject) const {
    // Hashed: a subject may be 255 bytes, its hex twice that, and a file name at most 255.
    const std::string file = sha256_hex(subject) + kSuffix;
    auto it = subjects_.find(subject);
    if (it == subjects_.end() || it->second.empty()) {
        std::error_code ec;
        std::filesystem::remove(fsio::join(subjects_dir_, file), ec);
        if (auto io = fsio::fsync_dir(subjects_dir_); ec || !io.ok()) {
            log_detail("remove subject", ec ? ec.message() : io.detail);
            return write_failed();
        }
        return ok_status();
    }
    auto json = fsjson::encode_subject(subject, it->second);
    if (!json) return std::move(json).error();
    return place(subjects_dir_, file, *json);
}

Status SubjectFiles::persist_settings() const {
    auto json = fsjson::encode_settings(compatibility_, mode_);
    if (!json) return std::move(json).error();
    return place(dir_, kSettingsFile, *json);
}

Result<RegisteredVersion> SubjectFiles::register_schema(const SubjectRegistration& reg) {
    std::lock_guard lock(mutex_);
    std::vector<SubjectVersion>& versions = subjects_[reg.subject];
    int64_t latest_live = 0;
    int64_t highest = 0;
    for (const auto& v : versions) {
        highest = std::max(highest, v.version);
        if (v.deleted) continue;
        latest_live = std::max(latest_live, v.version);
        if (v.schema_digest == reg.schema.digest) return RegisteredVersion{v, true};
    }
    if (reg.expected_latest >= 0 && latest_live != reg.expected_latest) {
        return Error{ErrorCode::VersionExists,
                     "another version of the subject was registered meanwhile",
                     {}};
    }
    int64_t id = 0;
    if (auto known = id_by_digest_.find(reg.schema.digest); known != id_by_digest_.end()) {
        id = known->second;
    } else {
        StoredSchema schema = reg.schema;
        schema.id = schemas_.empty() ? 1 : schemas_.rbegin()->first + 1;
        auto json = fsjson::encode_schema(schema);
        if (!json) return std::move(json).error();
        if (Status s = place(schemas_dir_, std::to_string(schema.id) + kSuffix, *json); !s) {
            if (versions.empty()) subjects_.erase(reg.subject);
            return std::move(s).error();
        }
        id = schema.id;
        id_by_digest_[schema.digest] = id;
        schemas_[id] = std::move(schema);
    }
    SubjectVersion added{reg.subject, highest + 1, id, reg.schema.digest, false};
    versions.push_back(added);
    if (Status s = persist_subject(reg.subject); !s) {
        versions.pop_back();
        if (versions.empty()) subjects_.erase(reg.subject);
        return std::move(s).error();
    }
    ++holders_[id];
    return RegisteredVersion{std::move(added), false};
}

void SubjectFiles::count_holders(const std::vector<SubjectVersion>& versions, int delta) {
    for (const auto& v : versions) {
        if ((holders_[v.schema_id] += delta) <= 0) holders_.erase(v.schema_id);
    }
}

std::optional<StoredSchema> SubjectFiles::get_schema(int64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = schemas_.find(id);
    if (it == schemas_.end() || !holders_.contains(id)) return std::nullopt;
    return it->second;
}

std::vector<SubjectVersion> SubjectFiles::list_subject_versions(const std::string& subject) const {
    std::lock_guard lock(mutex_);
    auto it = subjects_.find(subject);
    if (it == subjects_.end()) return {};
    return it->second;
}

std::vector<SubjectListing> SubjectFiles::list_subjects() const {
    std::lock_guard lock(mutex_);
    std::vector<SubjectListing> out;
    for (const auto& [subject, versions] : subjects_) {
        if (versions.empty()) continue;
        const bool live = std::any_of(versions.begin(), versions.end(),
                                      [](const SubjectVersion& v) { return !v.deleted; });
        out.push_back(SubjectListing{subject, live});
    }
    return out;
}

std::vector<SubjectVersion> SubjectFiles::schema_usages(int64_t id) const {
    std::lock_guard lock(mutex_);
    std::vector<SubjectVersion> out;
    for (const auto& [subject, versions] : subjects_) {
        for (const auto& v : versions) {
            if (v.schema_id == id) out.push_back(v);
        }
    }
    return out;
}

Status SubjectFiles::delete_versions(const std::string& subject, const std::vector<int64_t>& which,
                                     bool permanent) {
    std::lock_guard lock(mutex_);
    auto it = subjects_.find(subject);
    if (it == subjects_.end()) return ok_status();
    const std::vector<SubjectVersion> before = it->second;
    auto named = [&which](const SubjectVersion& v) {
        return std::find(which.begin(), which.end(), v.version) != which.end();
    };
    if (permanent) {
        std::erase_if(it->second, named);
    } else {
        for (auto& v : it->second) {
            if (named(v)) v.deleted = true;
        }
    }
    if (Status s = persist_subject(subject); !s) {
        it->second = before;
        return s;
    }
    count_holders(before, -1);
    count_holders(it->second, 1);
    if (it->second.empty()) subjects_.erase(it);
    return ok_status();
}

std::vector<int64_t> SubjectFiles::referenced_by(const std::string& subject,
                                                 int64_t version) const {
    std::lock_guard lock(mutex_);
    std::vector<int64_t> out;
    for (const auto& [name, versions] : subjects_) {
        for (const auto& v : versions) {
            if (v.deleted) continue;
            auto schema = schemas_.find(v.schema_id);
            if (schema == schemas_.end()) continue;
            for (const auto& ref : schema->second.references) {
                if (ref.subject == subject && ref.version == version) {
                    out.push_back(v.schema_id);
                    break;
                }
            }
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::optional<std::string> SubjectFiles::get_setting(SubjectSetting setting,
                                                     const std::string& subject) const {
    std::lock_guard lock(mutex_);
    const auto& map = setting == SubjectSetting::Compatibility ? compatibility_ : mode_;
    auto it = map.find(subject);
    if (it == map.end()) return std::nullopt;
    return it->second;
}

Status SubjectFiles::put_setting(SubjectSetting setting, const std::string& subject,
                                 const std::optional<std::string>& value) {
    std::lock_guard lock(mutex_);
    auto& map = setting == SubjectSetting::Compatibility ? compatibility_ : mode_;
    const auto before = map;
    if (value) {
        map[subject] = *value;
    } else {
        map.erase(subject);
    }
    if (Status s = persist_settings(); !s) {
        map = before;
        return s;
    }
    return ok_status();
}

}  // namespace spoke
