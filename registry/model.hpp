#pragma once
// Domain records shared by handlers, registry logic and backends. Plain data, no I/O.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/timestamp.hpp"

namespace spoke {

// One .proto file as pushed: relative path and UTF-8 text.
struct ProtoFile {
    std::string path;
    std::string content;
};

// A stored file's identity without its bytes.
struct FileEntry {
    std::string path;
    std::string sha256;  // lowercase hex of the content
    uint64_t size = 0;
};

// Where a version came from (all optional, empty when not given).
struct SourceInfo {
    std::string repository;
    std::string commit_sha;
    std::string branch;
};

// A module as listed: counts and latest are derived from its versions.
struct Module {
    std::string name;
    std::string description;
    TimestampMs created_at = 0;
    TimestampMs updated_at = 0;
    std::optional<std::string> latest_version;
    uint64_t version_count = 0;
    // The push gate's level (NONE, BACKWARD, ... FULL_TRANSITIVE); a setting, not part of the
    // Module JSON (served by /modules/{name}/config).
    std::string compatibility = "BACKWARD";
};

// "module@version", parsed.
struct VersionRef {
    std::string module;
    std::string version;
    std::string to_string() const { return module + "@" + version; }
    bool operator==(const VersionRef&) const = default;
};

// A version's metadata (the VersionSummary of the API). Files sorted by path.
struct VersionRecord {
    std::string module_name;
    std::string version;  // as pushed (a leading 'v' is kept)
    std::string digest;   // "sha256:<hex>"
    TimestampMs created_at = 0;
    std::vector<std::string> dependencies;  // "module@version", sorted, as resolved at push
    SourceInfo source_info;
    std::vector<FileEntry> files;
};

// A version with its file contents. Immutable once built; shared between caches and requests.
struct VersionSnapshot {
    VersionRecord record;
    std::vector<ProtoFile> files;  // same order as record.files
};
using VersionSnapshotPtr = std::shared_ptr<const VersionSnapshot>;

// A validated push, ready to store: the record is complete (digest, created_at, file entries).
struct VersionDraft {
    VersionRecord record;
    std::vector<ProtoFile> files;
};

// Page request and result for GET /modules.
struct ModuleQuery {
    std::string prefix;
    uint32_t limit = 100;
    uint64_t offset = 0;  // skipped after `after`
    std::string
        after;  // only names after this one in byte order (a keyset page); "" from the start
};
// A module with its versions, newest first.
struct ModuleWithVersions {
    Module module;
    std::vector<VersionRecord> versions;
};
struct ModulePage {
    std::vector<Module> modules;  // name order
    uint64_t total = 0;           // matching the prefix, before paging
};

// What a version push did.
enum class PutOutcome {
    Created,    // stored now (201)
    Identical,  // the same content was already stored (200)
};
struct PutVersionResult {
    PutOutcome outcome = PutOutcome::Created;
    VersionRecord record;  // the stored record (the existing one when Identical)
};

// A dependency in a closure, with how it is reached from the root.
struct DependencyEdge {
    VersionRef ref;
    bool direct = false;
};

}  // namespace spoke
