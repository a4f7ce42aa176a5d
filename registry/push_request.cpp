#include "registry/push_request.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "registry/digest.hpp"
#include "registry/names.hpp"
#include "registry/semver.hpp"

namespace spoke {
namespace {

std::string file_label(size_t index) {
    return "files[" + std::to_string(index) + "]";
}

Error too_large(std::string message) {
    return Error{ErrorCode::PayloadTooLarge, std::move(message), {}};
}

// Line and column (1-based) of byte `offset`, for pointing at a bad byte in a file.
std::pair<int, int> position_of(std::string_view text, size_t offset) {
    int line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

Status check_file(const ProtoFile& file, size_t index, const PushLimits& limits) {
    if (Status s = validate_file_path(file.path); !s) {
        return Error::bad_request(file_label(index) + ".path: " + s.error().message);
    }
    if (file.content.size() > limits.max_file_bytes) {
        return too_large("file \"" + file.path + "\" is " + std::to_string(file.content.size()) +
                         " bytes, over the limit of " + std::to_string(limits.max_file_bytes) +
                         " bytes per file");
    }
    if (!is_valid_utf8(file.content)) {
        return Error::bad_request("file \"" + file.path + "\": content is not valid UTF-8");
    }
    if (const size_t nul = file.content.find('\0'); nul != std::string::npos) {
        auto [line, column] = position_of(file.content, nul);
        Error e = Error::bad_request("file \"" + file.path + "\": content contains a NUL byte");
        e.details.push_back({file.path, line, column, "NUL byte in text"});
        return e;
    }
    return ok_status();
}

}  // namespace

Result<ValidatedPush> validate_push(PushRequest request, const PushLimits& limits) {
    if (Status s = validate_module_name(request.module); !s) return std::move(s).error();
    if (Status s = validate_version_name(request.version); !s) return std::move(s).error();
    if (request.files.empty()) {
        return Error::bad_request("files: at least one .proto file is required");
    }
    if (request.files.size() > limits.max_files) {
        return too_large("files: " + std::to_string(request.files.size()) +
                         " files, over the limit of " + std::to_string(limits.max_files) +
                         " files per version");
    }
    std::map<std::string_view, size_t> first_index;
    size_t total = 0;
    for (size_t i = 0; i < request.files.size(); ++i) {
        const ProtoFile& f = request.files[i];
        if (Status s = check_file(f, i, limits); !s) return std::move(s).error();
        auto [it, inserted] = first_index.emplace(f.path, i);
        if (!inserted) {
            return Error::bad_request(file_label(i) + ".path \"" + f.path + "\" duplicates " +
                                      file_label(it->second));
        }
        total += f.content.size();
        if (total > limits.max_total_bytes) {
            return too_large("files: total size exceeds the limit of " +
                             std::to_string(limits.max_total_bytes) + " bytes per version (at " +
                             file_label(i) + " \"" + f.path + "\")");
        }
    }

    ValidatedPush out;
    std::set<std::string> seen_deps;
    for (size_t i = 0; i < request.dependencies.size(); ++i) {
        const std::string& raw = request.dependencies[i];
        auto ref = parse_dependency_ref(raw);
        if (!ref) {
            return Error::bad_request("dependencies[" + std::to_string(i) +
                                      "]: " + ref.error().message);
        }
        if (ref->module == request.module) {
            return Error::bad_request("dependencies[" + std::to_string(i) + "] \"" + raw +
                                      "\": a version cannot depend on its own module");
        }
        // "v1.0.0" and "1.0.0" name one version, so they are duplicates too.
        if (!seen_deps.insert(ref->module + "@" + version_key(ref->version)).second) {
            return Error::bad_request("dependencies[" + std::to_string(i) + "] \"" + raw +
                                      "\" is listed more than once");
        }
        out.dependencies.push_back(std::move(ref).value());
    }

    std::sort(request.files.begin(), request.files.end(),
              [](const ProtoFile& a, const ProtoFile& b) { return a.path < b.path; });
    out.module = std::move(request.module);
    out.version = std::move(request.version);
    out.files = std::move(request.files);
    out.source_info = std::move(request.source_info);
    return out;
}

VersionDraft make_draft(ValidatedPush push, std::vector<std::string> resolved_dependencies,
                        TimestampMs now) {
    VersionDraft draft;
    std::sort(push.files.begin(), push.files.end(),
              [](const ProtoFile& a, const ProtoFile& b) { return a.path < b.path; });
    draft.record.files.reserve(push.files.size());
    for (const auto& f : push.files) {
        draft.record.files.push_back({f.path, sha256_hex(f.content), f.content.size()});
    }
    std::sort(resolved_dependencies.begin(), resolved_dependencies.end());
    resolved_dependencies.erase(
        std::unique(resolved_dependencies.begin(), resolved_dependencies.end()),
        resolved_dependencies.end());
    draft.record.module_name = std::move(push.module);
    draft.record.version = std::move(push.version);
    draft.record.digest = version_digest(draft.record.files, resolved_dependencies);
    draft.record.created_at = now;
    draft.record.dependencies = std::move(resolved_dependencies);
    draft.record.source_info = std::move(push.source_info);
    draft.files = std::move(push.files);
    return draft;
}

}  // namespace spoke
