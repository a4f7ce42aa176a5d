#pragma once
// Loads the contents of a dependency closure from storage and compiles schemas on the worker
// pool: the steps shared by push, validate and descriptor.

#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "registry/model.hpp"
#include "registry/proto_compiler.hpp"
#include "common/result.hpp"

namespace spoke {

struct LoopServices;

// ClosureContents: a dependency closure (dependency-first) and the contents of each record.
struct ClosureContents {
    std::vector<VersionRecord> records;
    std::vector<VersionSnapshotPtr> snapshots;  // same order as records
};

// The closure of `roots` with contents. Empty roots complete empty (deferred, never inline).
void load_closure(LoopServices& services, std::vector<VersionRef> roots,
                  Completion<ClosureContents> done);

// compile_schema on the worker pool; `done` runs on services.loop. Exceptions become Internal.
void compile_on_pool(LoopServices& services, CompileRequest request,
                     Callback<void(Result<CompiledSchema>)> done);

// The exact "module@version" each direct ref resolved to within `closure` ("latest" and the
// spelling with or without 'v' included). UnknownDependency if one is missing.
Result<std::vector<std::string>> resolve_direct(const std::vector<VersionRef>& direct,
                                                const std::vector<VersionRecord>& closure);

// Parses stored "module@version" strings; Internal if one is malformed (stored data is trusted).
Result<std::vector<VersionRef>> parse_stored_refs(const std::vector<std::string>& refs);

}  // namespace spoke
