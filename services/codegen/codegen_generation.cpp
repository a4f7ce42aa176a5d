#include "services/codegen/codegen_generation.hpp"

#include "common/clock.hpp"
#include "reactor/log.hpp"
#include "registry/codegen/generation_targets.hpp"
#include "registry/digest.hpp"
#include "registry/proto_compiler.hpp"

namespace spoke {

ArchiveBlob make_archive_blob(std::string bytes) {
    std::string sha256 = sha256_hex(bytes);
    return ArchiveBlob{std::make_shared<const std::string>(std::move(bytes)), std::move(sha256)};
}

Result<GeneratedArchives> generate_archives(const GenerationJob& job, const GeneratorRunner& runner,
                                            const PushLimits& limits,
                                            std::chrono::milliseconds deadline) {
    const int64_t started = monotonic_ms();
    CompileRequest request{job.root->files, job.dependencies, false};
    Result<CompiledSchema> compiled = compile_schema(request, limits);
    if (!compiled) {
        // It compiled when it was pushed: failing now is ours to fix, not the client's.
        return Error::internal("stored version does not compile for code generation: " +
                               compiled.error().message);
    }
    Result<std::vector<std::string>> targets =
        generation_targets(job.root->files, job.dependencies, compiled->descriptor_set);
    if (!targets) return std::move(targets).error();
    GenerationInput input{std::move(compiled->descriptor_set), std::move(*targets)};
    Result<GeneratedFiles> files = runner.generate(input, job.language, job.include_grpc);
    const bool late = monotonic_ms() - started > deadline.count();
    if (late || (!files && files.error().code == ErrorCode::Unavailable)) {
        // The runner's message names the plugin's path: the log gets it, the client does not.
        if (!files) {
            Log::write(LogLevel::Warn, "code generation unavailable",
                       {{"language", std::string_view(job.language)},
                        {"error", std::string_view(files.error().message)}});
        }
        if (late || files.error().message.find(" within ") != std::string::npos) {
            return Error::unavailable("code generation for " + job.language +
                                      " did not finish within its deadline (" +
                                      std::to_string(deadline.count()) + " ms)");
        }
        return Error::unavailable("the " + job.language + " code generator could not be run");
    }
    if (!files) return std::move(files).error();
    Result<std::string> zip = write_archive(*files, ArchiveFormat::Zip);
    if (!zip) return std::move(zip).error();
    Result<std::string> tar_gz = write_archive(*files, ArchiveFormat::TarGz);
    if (!tar_gz) return std::move(tar_gz).error();
    return GeneratedArchives{make_archive_blob(std::move(*zip)),
                             make_archive_blob(std::move(*tar_gz))};
}

}  // namespace spoke
