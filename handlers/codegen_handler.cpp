#include "handlers/codegen_handler.hpp"

#include <memory>
#include <optional>

#include "backends/storage.hpp"
#include "handlers/codegen_json.hpp"
#include "handlers/codegen_service.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "reactor/event_loop.hpp"
#include "registry/semver.hpp"
#include "services/dependency_refs.hpp"

namespace spoke {
namespace {

// A version with the records of its transitive dependencies (contents are loaded only when
// something has to be generated).
struct VersionClosure {
    VersionSnapshotPtr root;
    std::vector<VersionRecord> dependencies;
};

void load_version_closure(LoopServices& services, const std::string& module,
                          const std::string& version, Completion<VersionClosure> done) {
    Storage& storage = services.storage;
    storage.get_version(
        module, version,
        [&storage, done = std::move(done)](Result<VersionSnapshotPtr> snapshot) mutable {
            if (!snapshot) return done(std::move(snapshot).error());
            VersionClosure out{std::move(*snapshot), {}};
            auto roots = parse_stored_refs(out.root->record.dependencies);
            if (!roots) return done(std::move(roots).error());
            if (roots->empty()) return done(std::move(out));
            storage.dependency_closure(std::move(*roots),
                                       [out = std::move(out), done = std::move(done)](
                                           Result<std::vector<VersionRecord>> closure) mutable {
                                           if (!closure) {
                                               // Stored versions' dependencies exist by
                                               // construction.
                                               Error e = std::move(closure).error();
                                               if (e.code == ErrorCode::UnknownDependency) {
                                                   e = Error::internal(e.message);
                                               }
                                               return done(std::move(e));
                                           }
                                           out.dependencies = std::move(*closure);
                                           done(std::move(out));
                                       });
        });
}

Error unknown_language(std::string_view id) {
    return Error::not_found("language " + quote_value(id) +
                            " is not one this server generates (see /api/v1/languages)");
}

Error no_grpc(const LanguageInfo& language) {
    return Error::bad_request("include_grpc: this server has no gRPC generator for " +
                              language.name);
}

// One POST .../compile across its storage steps; every step runs on the request's loop.
struct CompileContext {
    ExchangeHandle handle;
    std::string requested_version;
    std::vector<const LanguageInfo*> languages;
    bool include_grpc = false;
    VersionSnapshotPtr root;
    std::vector<std::optional<ArtifactStatus>> statuses;  // by language
    size_t pending = 0;
    std::optional<Error> first_error;
};

void reply_compile(LoopServices& services, CompileContext& ctx) {
    HttpExchange* ex = ctx.handle.get();
    if (ex == nullptr) return;
    // Languages already queued go on; the client retries the rest (503 has Retry-After).
    if (ctx.first_error) return reply_error(*ex, *ctx.first_error);
    CompileJob job;
    job.module = ctx.root->record.module_name;
    job.version = ctx.root->record.version;
    job.requested_version = ctx.requested_version;
    bool all_cached = true;
    for (size_t i = 0; i < ctx.languages.size(); ++i) {
        ArtifactStatus& s = *ctx.statuses[i];
        all_cached = all_cached && s.cache_hit;
        job.results.push_back({ctx.languages[i]->id, s.cache_hit, std::move(s.progress)});
    }
    const int64_t now = monotonic_ms();
    JsonPtr body = compile_job_to_json(services.codegen.jobs().add(job, now), job, now);
    reply_json(*ex, all_cached ? 200 : 202, body.get());
}

void reply_archive(HttpExchange& ex, const VersionRecord& record, const LanguageInfo& language,
                   ArchiveFormat format, const ArchiveBlob& archive) {
    ex.add_header("Content-Disposition", "attachment; filename=" + record.module_name + "-" +
                                             record.version + "-" + language.id + "." +
                                             std::string(archive_format_name(format)));
    reply_cached(ex, CachedResponse{archive.bytes, std::string(archive_media_type(format)),
                                    quoted_etag(archive.sha256)});
}

}  // namespace

void CodegenHandler::languages(HttpExchange& ex, const RouteParams&) const {
    reply_json(ex, 200, languages_to_json(services_.codegen.catalog()).get());
}

void CodegenHandler::compile(HttpExchange& ex, const RouteParams& params) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto request = decode_compile_request(body->get());
    if (!request) return reply_error(ex, request.error());
    auto ctx = std::make_shared<CompileContext>();
    for (const std::string& id : request->languages) {
        const LanguageInfo* language = services_.codegen.catalog().find(id);
        // An unknown language in a body is a bad request (in a download path it is a 404).
        if (language == nullptr)
            return reply_error(ex, Error::bad_request(unknown_language(id).message));
        if (request->include_grpc && !language->supports_grpc()) {
            return reply_error(ex, no_grpc(*language));
        }
        ctx->languages.push_back(language);
    }
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    if (reply_if_impossible_name(ex, module, version)) return;
    ctx->handle = ex.handle();
    ctx->requested_version = version;
    ctx->include_grpc = request->include_grpc;
    LoopServices& services = services_;
    load_version_closure(
        services, module, version,
        [&services, ctx = std::move(ctx)](Result<VersionClosure> closure) mutable {
            if (!closure) {
                if (HttpExchange* ex = ctx->handle.get()) reply_error(*ex, closure.error());
                return;
            }
            ctx->root = closure->root;
            ctx->statuses.resize(ctx->languages.size());
            ctx->pending = ctx->languages.size();
            for (size_t i = 0; i < ctx->languages.size(); ++i) {
                ArtifactRequest request;
                request.language = ctx->languages[i];
                request.include_grpc = ctx->include_grpc;
                request.root = closure->root;
                request.dependencies = closure->dependencies;
                request.format = ArchiveFormat::Zip;  // stored last: both formats are there
                request.wait = false;
                services.codegen.obtain(services, std::move(request),
                                        [&services, ctx, i](Result<ArtifactStatus> status) mutable {
                                            if (status) {
                                                ctx->statuses[i] = std::move(*status);
                                            } else if (!ctx->first_error) {
                                                ctx->first_error = std::move(status).error();
                                            }
                                            if (--ctx->pending == 0) reply_compile(services, *ctx);
                                        });
            }
        });
}

void CodegenHandler::compile_status(HttpExchange& ex, const RouteParams& params) const {
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    const std::string& id = params.get("job_id");
    std::optional<CompileJob> job = services_.codegen.jobs().find(id, monotonic_ms());
    // A job is found under its own module and version (either spelling), not any other.
    if (!job || job->module != module ||
        (version != job->requested_version && version != job->version &&
         version_key(version) != version_key(job->version))) {
        return reply_error(ex, Error::not_found("compile job " + quote_value(id) + " not found"));
    }
    reply_json(ex, 200, compile_job_to_json(id, *job, monotonic_ms()).get());
}

void CodegenHandler::download(HttpExchange& ex, const RouteParams& params) const {
    const LanguageInfo* language = services_.codegen.catalog().find(params.get("language"));
    if (language == nullptr) return reply_error(ex, unknown_language(params.get("language")));
    std::optional<ArchiveFormat> format = ArchiveFormat::Zip;
    if (auto raw = ex.query("format")) {
        format = parse_archive_format(*raw);
        if (!format) {
            return reply_error(
                ex, Error::bad_request("query parameter \"format\" must be \"zip\" or \"tar.gz\""));
        }
    }
    auto include_grpc = query_bool(ex, "include_grpc", false);
    if (!include_grpc) return reply_error(ex, include_grpc.error());
    if (*include_grpc && !language->supports_grpc()) return reply_error(ex, no_grpc(*language));
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    if (reply_if_impossible_name(ex, module, version)) return;
    LoopServices& services = services_;
    load_version_closure(services, module, version,
                         [&services, handle = ex.handle(), language, format = *format,
                          include_grpc = *include_grpc](Result<VersionClosure> closure) mutable {
                             if (handle.get() == nullptr) return;
                             if (!closure) return reply_error(*handle.get(), closure.error());
                             ArtifactRequest request;
                             request.language = language;
                             request.include_grpc = include_grpc;
                             request.root = closure->root;
                             request.dependencies = std::move(closure->dependencies);
                             request.format = format;
                             request.wait = true;
                             services.codegen.obtain(
                                 services, std::move(request),
                                 [handle, language, format,
                                  root = closure->root](Result<ArtifactStatus> status) mutable {
                                     HttpExchange* ex = handle.get();
                                     if (ex == nullptr) return;
                                     if (!status) return reply_error(*ex, status.error());
                                     reply_archive(*ex, root->record, *language, format,
                                                   *status->archive);
                                 });
                         });
}

}  // namespace spoke
