#include "backends/storage_errors.hpp"

#include <string>

namespace spoke::storage_errors {

Error module_missing(std::string_view module) {
    return Error::not_found("module " + quote_value(module) + " does not exist");
}

Error module_exists(std::string_view module) {
    return Error{ErrorCode::ModuleExists, "module " + quote_value(module) + " already exists", {}};
}

Error no_versions(std::string_view module) {
    return Error::not_found("module " + quote_value(module) + " has no versions");
}

Error version_missing(std::string_view module, std::string_view version) {
    return Error::not_found("version " + quote_value(version) + " of module " +
                            quote_value(module) + " does not exist");
}

Error version_exists(const VersionRecord& existing) {
    return Error{ErrorCode::VersionExists,
                 "version " + quote_value(existing.version) + " of module " +
                     quote_value(existing.module_name) + " already exists with different content",
                 {}};
}

Error unknown_dependency(std::string_view ref) {
    return Error{
        ErrorCode::UnknownDependency, "dependency " + quote_value(ref) + " does not exist", {}};
}

}  // namespace spoke::storage_errors
