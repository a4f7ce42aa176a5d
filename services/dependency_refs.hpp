#pragma once
// Dependency references of a version: parsing the stored ones, and resolving the pushed ones
// against a loaded closure.

#include <string>
#include <vector>

#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke {

// The exact "module@version" each direct ref resolved to within `closure` ("latest" and the
// spelling with or without 'v' included). UnknownDependency if one is missing.
Result<std::vector<std::string>> resolve_direct(const std::vector<VersionRef>& direct,
                                                const std::vector<VersionRecord>& closure);

// Parses stored "module@version" strings; Internal if one is malformed (stored data is trusted).
Result<std::vector<VersionRef>> parse_stored_refs(const std::vector<std::string>& refs);

}  // namespace spoke
