#pragma once
// generate_archives: one version's generated code for one language, as zip and tar.gz archives.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "registry/codegen/archive_writer.hpp"
#include "registry/codegen/generator_runner.hpp"
#include "registry/model.hpp"
#include "registry/push_request.hpp"

namespace spoke {

// One archive: its bytes and their lowercase hex SHA-256 (its ETag and artifact_sha256).
struct ArchiveBlob {
    std::shared_ptr<const std::string> bytes;
    std::string sha256;
};
ArchiveBlob make_archive_blob(std::string bytes);

// Both formats of one generation: made together, so a download in either format never runs
// the generators again.
struct GeneratedArchives {
    ArchiveBlob zip;
    ArchiveBlob tar_gz;
    const ArchiveBlob& of(ArchiveFormat format) const {
        return format == ArchiveFormat::Zip ? zip : tar_gz;
    }
};

// What one generation works on.
struct GenerationJob {
    VersionSnapshotPtr root;                       // the version, with contents
    std::vector<VersionSnapshotPtr> dependencies;  // its transitive dependencies, with contents
    std::string language;
    bool include_grpc = false;
};

// The code of the version's files and of the dependency files its imports reach (each under its
// own .proto path; well-known types and dependency files nothing imports excluded: see
// generation_targets). Compiles the files (as the descriptor route does, without source info),
// generates and archives; blocking and CPU-heavy: a worker's job, run through run_guarded
// (libprotobuf may throw). Errors: those of GeneratorRunner::generate; Unavailable when it all
// took longer than `deadline` (libprotoc's generators cannot be interrupted, so that is checked
// when they return; plugins are killed at the runner's own deadline); Internal when the stored
// version no longer compiles.
Result<GeneratedArchives> generate_archives(const GenerationJob& job, const GeneratorRunner& runner,
                                            const PushLimits& limits,
                                            std::chrono::milliseconds deadline);

}  // namespace spoke
