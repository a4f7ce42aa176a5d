#pragma once
// Storage keys of code generation artifacts: a digest of everything that determines the bytes.

#include <string>
#include <string_view>
#include <vector>

#include "registry/codegen/archive_writer.hpp"

namespace spoke {

// What a generated archive's bytes depend on, apart from its format. The version digest covers
// the version's files and the names of its dependencies; the dependencies' digests cover their
// contents, so together they fix every input file exactly, across instances and backends.
struct GenerationInputs {
    std::string version_digest;                   // "sha256:..."
    std::vector<std::string> dependency_digests;  // of every transitive dependency, any order
    std::string language;                         // catalog id
    bool include_grpc = false;
    std::string generator;  // identity of the generators that run (versions or binary digests)
};

// Lowercase hex SHA-256 over an unambiguous, versioned encoding of `inputs` (dependency digests
// sorted): the single-flight key of one generation.
std::string generation_key(const GenerationInputs& inputs);

// The storage key (is_artifact_key) of one archive format of a generation.
std::string artifact_key(std::string_view generation_key, ArchiveFormat format);

}  // namespace spoke
