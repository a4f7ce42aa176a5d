#pragma once
// GeneratedFiles: what a code generator produced, keyed by relative output path.

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace spoke {

// Output path -> file content, sorted by path (archives list their entries in this order).
using GeneratedFiles = std::map<std::string, std::string, std::less<>>;

// True for a relative path that stays inside the output directory: not empty, no leading '/',
// no empty, "." or ".." segments, no backslash or control bytes. Archives are unpacked by users'
// tools, so a generator (or plugin) must never be able to name a file outside the archive root.
bool is_safe_output_path(std::string_view path);

}  // namespace spoke
