#pragma once
// The errors every Storage implementation reports, worded once so that clients see the same
// message whichever backend serves them.

#include <string_view>

#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke::storage_errors {

Error module_missing(std::string_view module);
Error module_exists(std::string_view module);
Error no_versions(std::string_view module);  // "latest" of a module without versions
Error version_missing(std::string_view module, std::string_view version);
Error version_exists(const VersionRecord& existing);  // same version, different content
Error unknown_dependency(std::string_view ref);       // "module@version" as written

}  // namespace spoke::storage_errors
