#pragma once
// A version push as received, and its validation into a VersionDraft.

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke {

// Caps on one push (SPOKE_* configurable).
struct PushLimits {
    size_t max_file_bytes = 1u << 20;
    size_t max_files = 2000;
    size_t max_total_bytes = 32u << 20;
    int max_nesting = 64;  // brace/bracket/angle depth in a .proto file
};

// The push body after JSON decoding, before validation.
struct PushRequest {
    std::string module;
    std::string version;
    std::vector<ProtoFile> files;
    std::vector<std::string> dependencies;  // "module@version"
    SourceInfo source_info;
};

// A push that passed the checks that need no storage: names, paths, duplicates, caps, text.
struct ValidatedPush {
    std::string module;
    std::string version;
    std::vector<ProtoFile> files;          // sorted by path
    std::vector<VersionRef> dependencies;  // parsed, unresolved (may say "latest")
    SourceInfo source_info;
};

// BadRequest (or PayloadTooLarge for caps) naming the field or file that was wrong.
Result<ValidatedPush> validate_push(PushRequest request, const PushLimits& limits);

// Build the draft once dependencies are resolved to exact "module@version" strings.
VersionDraft make_draft(ValidatedPush push, std::vector<std::string> resolved_dependencies,
                        TimestampMs now);

}  // namespace spoke
