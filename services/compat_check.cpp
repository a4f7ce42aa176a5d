#include "services/compat_check.hpp"

#include <google/protobuf/descriptor.pb.h>

#include <limits>
#include <utility>

#include "registry/compat/schema_image.hpp"
#include "registry/semver.hpp"

namespace spoke {
namespace {

Result<std::unique_ptr<SchemaImage>> image_of(const CompiledVersion& v) {
    auto image = SchemaImage::from_descriptor_set(*v.descriptor_set, v.own_files);
    if (!image) {
        // Every input compiled already: a set that does not link is a bug, not a client error.
        return Error::internal(
            "version " + v.version +
            " does not link for the compatibility check: " + image.error().message);
    }
    return image;
}

}  // namespace

std::vector<VersionRecord> previous_versions(const std::vector<VersionRecord>& newest_first,
                                             std::string_view version, bool transitive) {
    std::vector<VersionRecord> out;
    auto target = parse_semver(version);
    if (!target) return out;
    for (const auto& r : newest_first) {
        auto v = parse_semver(r.version);
        if (!v || compare_precedence(*v, *target) >= 0) continue;
        out.push_back(r);
        if (!transitive) break;  // newest first: the first earlier one is the nearest
    }
    return out;
}

bool holds_version(const std::vector<VersionRecord>& newest_first, std::string_view version) {
    const std::string key = version_key(version);
    for (const auto& r : newest_first) {
        if (version_key(r.version) == key) return true;
    }
    return false;
}

Result<CompatOutcome> run_compat_check(CompatMode mode, const CompiledVersion& newer,
                                       const std::vector<CompiledVersion>& older,
                                       bool against_several) {
    CompatOutcome out;
    out.mode = mode;
    out.new_version = newer.version;
    out.against_several = against_several;
    if (!older.empty()) out.old_version = older.front().version;
    if (mode == CompatMode::None || older.empty()) return out;
    auto newer_image = image_of(newer);
    if (!newer_image) return std::move(newer_image).error();
    for (const auto& o : older) {
        auto older_image = image_of(o);
        if (!older_image) return std::move(older_image).error();
        CompatReport report = check_compatibility(**older_image, **newer_image, mode);
        for (auto& v : report.violations) out.findings.push_back({std::move(v), o.version});
        out.error_count += report.error_count;
        out.warning_count += report.warning_count;
        out.info_count += report.info_count;
    }
    return out;
}

Result<std::vector<SchemaChange>> run_schema_diff(const CompiledVersion& from,
                                                  const CompiledVersion& to) {
    auto from_image = image_of(from);
    if (!from_image) return std::move(from_image).error();
    auto to_image = image_of(to);
    if (!to_image) return std::move(to_image).error();
    return diff_schemas(**from_image, **to_image);
}

Result<std::string> strip_source_info(std::string_view descriptor_set) {
    google::protobuf::FileDescriptorSet set;
    if (descriptor_set.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
        !set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
        return Error::internal("a compiled descriptor set does not parse");
    }
    for (auto& file : *set.mutable_file()) file.clear_source_code_info();
    std::string out;
    if (!set.SerializeToString(&out)) {
        return Error::internal("a descriptor set could not be serialized");
    }
    return out;
}

}  // namespace spoke
