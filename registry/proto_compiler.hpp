#pragma once
// ProtoCompiler: links a set of .proto files with their dependencies' files and the well-known
// types, in memory, with libprotobuf/libprotoc. CPU-heavy and deeply recursive: run it on a
// WorkerPool thread (large stack), never on a loop thread.

#include <string>
#include <vector>

#include "common/result.hpp"
#include "registry/model.hpp"
#include "registry/push_request.hpp"

namespace spoke {

struct CompileRequest {
    std::vector<ProtoFile> files;                  // the version's own files (all are compiled)
    std::vector<VersionSnapshotPtr> dependencies;  // transitive dependencies' contents
    // With source_code_info on the own and dependency files; the well-known types keep none
    // (with_well_known_source_info adds theirs, as protoc --include_source_info gives them).
    bool include_source_info = false;
};

struct CompiledSchema {
    // Serialized google.protobuf.FileDescriptorSet: every file reachable from `files` (own files,
    // imported dependency files, well-known types), each after its imports (dependency-first).
    std::string descriptor_set;
    std::vector<ProtoDiagnostic> warnings;  // e.g. unused imports
};

// Rejects, before libprotobuf sees the text, what would crash or exhaust it or what it would
// refuse without a position: more than `limits.max_file_bytes`; message types nested deeper than
// `limits.max_message_nesting` (messages, groups and map entries, as libprotobuf counts them); or
// `{`, `[`, `(`, `<` nesting deeper than `limits.max_nesting` outside strings and comments.
// InvalidProto with the file, line and column of the offending brace (or `map` keyword).
Status prescan_proto(const ProtoFile& file, const PushLimits& limits);

// Compiles everything. Errors:
//  - InvalidProto with details [{file, line, column, message}] (1-based) for parse or link errors;
//  - UnresolvedImport naming the importing file and the missing path;
//  - InvalidProto when two providers (own files or dependencies) supply one import path.
Result<CompiledSchema> compile_schema(const CompileRequest& request, const PushLimits& limits);

}  // namespace spoke
