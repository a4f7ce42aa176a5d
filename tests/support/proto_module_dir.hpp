#pragma once
// read_proto_module_dir: a module's .proto files read from a directory tree on disk.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "registry/model.hpp"

namespace spoke::testing {

// The module's .proto files, by path relative to `dir`, sorted.
inline std::vector<ProtoFile> read_proto_module_dir(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    std::vector<ProtoFile> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".proto") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream content;
        content << in.rdbuf();
        files.push_back({fs::relative(entry.path(), dir).generic_string(), content.str()});
    }
    std::sort(files.begin(), files.end(),
              [](const ProtoFile& a, const ProtoFile& b) { return a.path < b.path; });
    return files;
}

}  // namespace spoke::testing
