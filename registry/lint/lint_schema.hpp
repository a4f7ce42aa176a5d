#pragma once
// lint_schema: every lint rule over the own files of a compiled schema. CPU-bound: call it on a
// WorkerPool thread (it builds its own DescriptorPool, so concurrent calls share nothing).

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/lint/lint_warning.hpp"

namespace spoke {

// `descriptor_set`: a serialized FileDescriptorSet with every file after its imports (what
// compile_schema produces; compile with include_source_info for line numbers). `own_files`: the
// paths to lint (the version's own files; the rest are dependencies). Findings of lint_files plus
// IMPORT_USED, sorted by file, line and column. InvalidProto if the set does not parse or link,
// or lacks an own file; Internal if libprotobuf throws.
Result<std::vector<LintWarning>> lint_schema(std::string_view descriptor_set,
                                             const std::vector<std::string>& own_files);

}  // namespace spoke
