#pragma once
// merge_compiler_warnings: one list of warnings from compile_schema's and lint_schema's.

#include <vector>

#include "common/result.hpp"
#include "registry/lint/lint_warning.hpp"

namespace spoke {

// The compiler's warnings join the lint's as LintWarnings: an unused-import warning becomes
// IMPORT_USED and is dropped when the lint reported the same import (both come from
// libprotobuf's unused-import tracking); any other is COMPILER. Sorted by file, line, column.
std::vector<LintWarning> merge_compiler_warnings(const std::vector<ProtoDiagnostic>& compiler,
                                                 std::vector<LintWarning> lint);

}  // namespace spoke
