#pragma once
// Content digests: SHA-256 of bytes, and the version digest over files and dependencies.

#include <string>
#include <string_view>
#include <vector>

#include "registry/model.hpp"

namespace spoke {

// Lowercase hex SHA-256.
std::string sha256_hex(std::string_view bytes);

// "sha256:" + hex SHA-256 over the files sorted by path and the sorted dependencies:
//   for each file:       "file\0" path "\0" sha256 "\n"
//   for each dependency: "dep\0" module@version "\n"
// (documented in docs/api-notes.md; stable across backends).
std::string version_digest(const std::vector<FileEntry>& files,
                           const std::vector<std::string>& dependencies);

}  // namespace spoke
