#pragma once
// Helpers for backend tests: a temporary root directory (TempDir) and version drafts built from
// files.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "registry/digest.hpp"
#include "registry/model.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoke::test {

using testing::TempDir;

// A complete draft: file entries, digest and created_at filled in as the handlers would.
inline VersionDraft make_test_draft(std::string module, std::string version,
                                    std::vector<ProtoFile> files,
                                    std::vector<std::string> deps = {},
                                    TimestampMs created = 1000) {
    std::sort(files.begin(), files.end(),
              [](const ProtoFile& a, const ProtoFile& b) { return a.path < b.path; });
    std::sort(deps.begin(), deps.end());
    VersionDraft d;
    d.record.module_name = std::move(module);
    d.record.version = std::move(version);
    d.record.created_at = created;
    for (const auto& f : files)
        d.record.files.push_back({f.path, sha256_hex(f.content), f.content.size()});
    d.record.dependencies = std::move(deps);
    d.record.digest = version_digest(d.record.files, d.record.dependencies);
    d.files = std::move(files);
    return d;
}

inline VersionDraft simple_draft(const std::string& module, const std::string& version,
                                 const std::string& body = "message A {}",
                                 std::vector<std::string> deps = {}, TimestampMs created = 1000) {
    return make_test_draft(module, version,
                           {{"a/v1/a.proto", "syntax = \"proto3\";\n" + body + "\n"}},
                           std::move(deps), created);
}

}  // namespace spoke::test
