#pragma once
// Keys of the ResponseCache, one shape per kind of cached response (descriptor sets are cached
// by services/descriptor_cache.hpp). Parts are joined with NUL,
// which no module name, version or decoded path can contain.

#include <string>
#include <string_view>

namespace spoke {

// How a file is rendered: the JSON envelope or its raw bytes under one of two media types.
enum class FileFormat { Json, Text, Octet };

inline std::string version_cache_key(std::string_view module, std::string_view version) {
    std::string key;
    key.reserve(4 + module.size() + version.size());
    key.append("v", 1).append(1, '\0').append(module).append(1, '\0').append(version);
    return key;
}

inline std::string file_cache_key(std::string_view module, std::string_view version,
                                  std::string_view path, FileFormat format) {
    const char tag = format == FileFormat::Json ? 'j' : format == FileFormat::Text ? 't' : 'o';
    std::string key;
    key.reserve(8 + module.size() + version.size() + path.size());
    key.append("f", 1).append(1, tag).append(1, '\0').append(module).append(1, '\0');
    key.append(version).append(1, '\0').append(path);
    return key;
}

}  // namespace spoke
