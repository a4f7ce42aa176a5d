#include "registry/confluent/subject_versions.hpp"

namespace spoke {

const SubjectVersion* find_subject_version(const std::vector<SubjectVersion>& versions,
                                           int64_t version, bool include_deleted) {
    const SubjectVersion* found = nullptr;
    const SubjectVersion* highest = nullptr;
    for (const auto& v : versions) {
        if (version > 0) {
            if (v.version == version && (include_deleted || !v.deleted)) return &v;
            continue;
        }
        if (!v.deleted && (found == nullptr || v.version > found->version)) found = &v;
        if (highest == nullptr || v.version > highest->version) highest = &v;
    }
    if (found == nullptr && include_deleted) return highest;
    return found;
}

std::vector<SubjectVersion> live_newest_first(const std::vector<SubjectVersion>& versions) {
    std::vector<SubjectVersion> live;
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
        if (!it->deleted) live.push_back(*it);
    }
    return live;
}

const SubjectVersion* live_version_with_digest(const std::vector<SubjectVersion>& versions,
                                               const std::string& digest) {
    for (const auto& v : versions) {
        if (!v.deleted && v.schema_digest == digest) return &v;
    }
    return nullptr;
}

}  // namespace spoke
