#pragma once
// Validation of user-supplied names: modules, versions, file paths, dependency refs.

#include <string_view>

#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke {

// ^[a-z][a-z0-9_.-]{0,127}$
Status validate_module_name(std::string_view name);
// Semantic version with optional leading 'v', at most 100 chars, never "latest".
Status validate_version_name(std::string_view version);
// Relative, '/'-separated, ends in ".proto", no "." or ".." or empty segment, no leading '/',
// no '\\', no NUL or control characters, at most 512 bytes, valid UTF-8.
Status validate_file_path(std::string_view path);
// "module@version" (version may be "latest"); BadRequest naming the ref when malformed.
Result<VersionRef> parse_dependency_ref(std::string_view ref);
// True if `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace spoke
