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
    int max_nesting = 64;  // brace/bracket/angle depth in a .proto file (stack safety)
    // Nested message types (messages, groups, map entries), as libprotobuf 3.21 counts them: it
    // refuses a 32nd level ("Reached maximum recursion limit for nested messages.") with no line
    // or column, so the pre-scan stops at 31 with one. Not above 31: the library would refuse.
    int max_message_nesting = 31;
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
