#include "registry/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "common/hex.hpp"

namespace spoke {

std::string sha256_hex(std::string_view bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // EVP_Digest is one-shot and thread-safe; it fails only on allocation failure.
    if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) {
        return std::string();
    }
    return lower_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string version_digest(const std::vector<FileEntry>& files,
                           const std::vector<std::string>& dependencies) {
    std::vector<const FileEntry*> sorted_files;
    sorted_files.reserve(files.size());
    for (const auto& f : files) sorted_files.push_back(&f);
    std::sort(sorted_files.begin(), sorted_files.end(),
              [](const FileEntry* a, const FileEntry* b) { return a->path < b->path; });
    std::vector<std::string> sorted_deps = dependencies;
    std::sort(sorted_deps.begin(), sorted_deps.end());

    std::string input;
    for (const FileEntry* f : sorted_files) {
        input.append("file\0", 5);
        input += f->path;
        input.push_back('\0');
        input += f->sha256;
        input.push_back('\n');
    }
    for (const auto& d : sorted_deps) {
        input.append("dep\0", 4);
        input += d;
        input.push_back('\n');
    }
    return "sha256:" + sha256_hex(input);
}

}  // namespace spoke
