#pragma once
// The dependency graph between versions, independent of where records are stored: the
// dependency-first closure walk and the order of dependents, shared by every backend.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke {

// Identity of a version across spellings: "module@version_key" ("v1.0.0" and "1.0.0" are one).
std::string version_identity(std::string_view module, std::string_view version);

// A stored (already validated) dependency "module@version", split; nullopt without an "@".
std::optional<VersionRef> split_stored_ref(std::string_view ref);

// Finds one version (a root may say "latest"); an error (UnknownDependency) when missing.
using VersionLookup = std::function<Result<const VersionRecord*>(const VersionRef&)>;

// The transitive closure of `roots`, dependency-first: every record after all of its own
// dependencies; each version once. Iterative, so a long chain cannot overflow the stack.
Result<std::vector<VersionRecord>> dependency_first_closure(const std::vector<VersionRef>& roots,
                                                            const VersionLookup& lookup);

// Sorts by module name, then semver precedence, then version text.
void sort_dependents(std::vector<VersionRef>& refs);

}  // namespace spoke
