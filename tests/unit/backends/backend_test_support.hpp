#pragma once
// Helpers for backend tests: a temporary root directory and version drafts built from files.

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "registry/digest.hpp"
#include "registry/model.hpp"

namespace spoke::test {

// A fresh directory under the temp dir, removed with everything in it.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "spoke-fs-XXXXXX").string();
        char* made = ::mkdtemp(tmpl.data());
        path_ = made ? made : "";
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string sub(const std::string& rel) const { return path_ + "/" + rel; }

  private:
    std::string path_;
};

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
