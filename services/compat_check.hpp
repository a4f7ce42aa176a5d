#pragma once
// The compatibility checks shared by the push gate and the compatibility service: which stored
// versions a version is checked against, and the checks and diffs themselves (pool work).
// CompiledVersion: one version as the checker takes it. CompatFinding: a violation and the version
// it breaks. CompatOutcome: the verdict of a check against one or several older versions.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/compat/compatibility.hpp"
#include "registry/compat/schema_diff.hpp"
#include "registry/model.hpp"

namespace spoke {

struct CompiledVersion {
    std::string version;                                // as stored (or as pushed)
    std::shared_ptr<const std::string> descriptor_set;  // FileDescriptorSet with source info
    std::vector<std::string> own_files;                 // the version's own paths
};

struct CompatFinding {
    Violation violation;
    std::string against_version;  // the older version it breaks
};

struct CompatOutcome {
    CompatMode mode = CompatMode::Backward;
    std::string old_version;  // the nearest older version; empty when there was none
    std::string new_version;
    bool against_several = false;  // a transitive check: findings name their older version
    std::vector<CompatFinding> findings;
    int error_count = 0;
    int warning_count = 0;
    int info_count = 0;
    bool compatible() const { return error_count == 0; }
};

// The versions of `newest_first` (a module's list, newest first) that `version` is checked
// against: those of lower semver precedence, nearest first; only the nearest unless
// `transitive`. Versions of equal precedence (build metadata) are not earlier.
std::vector<VersionRecord> previous_versions(const std::vector<VersionRecord>& newest_first,
                                             std::string_view version, bool transitive);

// True if `newest_first` already holds `version` (either spelling).
bool holds_version(const std::vector<VersionRecord>& newest_first, std::string_view version);

// Pool work (blocking, CPU-heavy). `newer` against each of `older` (nearest first) under `mode`;
// `against_several` marks a transitive check. An outcome with no older version is compatible.
Result<CompatOutcome> run_compat_check(CompatMode mode, const CompiledVersion& newer,
                                       const std::vector<CompiledVersion>& older,
                                       bool against_several);
Result<std::vector<SchemaChange>> run_schema_diff(const CompiledVersion& from,
                                                  const CompiledVersion& to);
// The same FileDescriptorSet without source_code_info: byte-identical to a compile without it.
Result<std::string> strip_source_info(std::string_view descriptor_set);

}  // namespace spoke
