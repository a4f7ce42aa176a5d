// CodegenService's request-level operations (download, compile, compile_job): resolve the
// version and its dependency closure in storage, check the languages, then obtain() each
// artifact.

#include <memory>
#include <optional>

#include "backends/storage.hpp"
#include "common/clock.hpp"
#include "registry/names.hpp"
#include "registry/semver.hpp"
#include "services/codegen/codegen_service.hpp"
#include "services/version_reader.hpp"

namespace spoke {
namespace {

Error unknown_language(std::string_view id) {
    return Error::not_found("language " + quote_value(id) +
                            " is not one this server generates (see /api/v1/languages)");
}

// Names no module or version can have are not looked up: they are simply not found.
std::optional<Error> impossible_name(const std::string& module, const std::string& version) {
    if (!validate_module_name(module)) {
        return Error::not_found("module " + quote_value(module) + " not found");
    }
    if (version != "latest" && !validate_version_name(version)) {
        return Error::not_found("version " + quote_value(version) + " of module " +
                                quote_value(module) + " not found");
    }
    return std::nullopt;
}

Error no_grpc(const LanguageInfo& language) {
    return Error::bad_request("include_grpc: this server has no gRPC generator for " +
                              language.name);
}

// One compile across its storage steps; every step runs on the request's loop.
struct CompileContext {
    CompileQuery query;
    std::vector<const LanguageInfo*> languages;  // by query.languages
    VersionSnapshotPtr root;
    std::vector<std::optional<ArtifactStatus>> statuses;  // by language
    size_t pending = 0;
    std::optional<Error> first_error;
    Callback<void(Result<CompileStarted>)> done;
};

}  // namespace

void CodegenService::download(CodegenLoop at, const VersionReader& reader, DownloadQuery query,
                              Callback<void(Result<Download>)> done) {
    const LanguageInfo* language = catalog().find(query.language);
    if (language == nullptr) return done(unknown_language(query.language));
    if (query.include_grpc && !language->supports_grpc()) return done(no_grpc(*language));
    if (auto e = impossible_name(query.module, query.version)) return done(std::move(*e));
    reader.with_dependency_records(
        query.module, query.version,
        [this, at, language, format = query.format, include_grpc = query.include_grpc,
         done = std::move(done)](Result<VersionWithDependencies> closure) mutable {
            if (!closure) return done(std::move(closure).error());
            ArtifactRequest request;
            request.language = language;
            request.include_grpc = include_grpc;
            request.root = closure->root;
            request.dependencies = std::move(closure->dependencies);
            request.format = format;
            request.wait = true;
            obtain(at, std::move(request),
                   [language, format, root = closure->root,
                    done = std::move(done)](Result<ArtifactStatus> status) mutable {
                       if (!status) return done(std::move(status).error());
                       done(Download{root->record, language, format, std::move(*status->archive)});
                   });
        });
}

void CodegenService::compile(CodegenLoop at, const VersionReader& reader, CompileQuery query,
                             Callback<void(Result<CompileStarted>)> done) {
    auto ctx = std::make_shared<CompileContext>();
    for (const std::string& id : query.languages) {
        const LanguageInfo* language = catalog().find(id);
        // An unknown language in a body is a bad request (in a download path it is a 404).
        if (language == nullptr) return done(Error::bad_request(unknown_language(id).message));
        if (query.include_grpc && !language->supports_grpc()) return done(no_grpc(*language));
        ctx->languages.push_back(language);
    }
    if (auto e = impossible_name(query.module, query.version)) return done(std::move(*e));
    ctx->query = std::move(query);
    ctx->done = std::move(done);
    const CompileQuery& q = ctx->query;
    reader.with_dependency_records(
        q.module, q.version,
        [this, at, ctx = std::move(ctx)](Result<VersionWithDependencies> closure) mutable {
            if (!closure) return ctx->done(std::move(closure).error());
            ctx->root = closure->root;
            ctx->statuses.resize(ctx->languages.size());
            ctx->pending = ctx->languages.size();
            for (size_t i = 0; i < ctx->languages.size(); ++i) {
                ArtifactRequest request;
                request.language = ctx->languages[i];
                request.include_grpc = ctx->query.include_grpc;
                request.root = closure->root;
                request.dependencies = closure->dependencies;
                request.format = ArchiveFormat::Zip;  // stored last: both formats are there
                request.wait = false;
                obtain(at, std::move(request), [this, ctx, i](Result<ArtifactStatus> status) {
                    if (status) {
                        ctx->statuses[i] = std::move(*status);
                    } else if (!ctx->first_error) {
                        ctx->first_error = std::move(status).error();
                    }
                    if (--ctx->pending > 0) return;
                    // Languages already queued go on; the client retries the rest.
                    if (ctx->first_error) return ctx->done(std::move(*ctx->first_error));
                    CompileStarted started;
                    started.job.module = ctx->root->record.module_name;
                    started.job.version = ctx->root->record.version;
                    started.job.requested_version = ctx->query.version;
                    started.all_cached = true;
                    for (size_t l = 0; l < ctx->languages.size(); ++l) {
                        ArtifactStatus& s = *ctx->statuses[l];
                        started.all_cached = started.all_cached && s.cache_hit;
                        started.job.results.push_back(
                            {ctx->languages[l]->id, s.cache_hit, std::move(s.progress)});
                    }
                    started.job_id = jobs_.add(started.job, monotonic_ms());
                    ctx->done(std::move(started));
                });
            }
        });
}

Result<CompileJob> CodegenService::compile_job(const std::string& module,
                                               const std::string& version,
                                               const std::string& job_id, int64_t now_ms) const {
    std::optional<CompileJob> job = jobs_.find(job_id, now_ms);
    // A job is found under its own module and version (either spelling), not any other.
    if (!job || job->module != module ||
        (version != job->requested_version && version != job->version &&
         version_key(version) != version_key(job->version))) {
        return Error::not_found("compile job " + quote_value(job_id) + " not found");
    }
    return std::move(*job);
}

}  // namespace spoke
