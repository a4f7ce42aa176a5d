#include "handlers/codegen_handler.hpp"

#include <optional>

#include "common/clock.hpp"
#include "handlers/codegen_json.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "services/codegen/codegen_service.hpp"
#include "services/services.hpp"

namespace spoke {
namespace {

CodegenLoop codegen_loop(const Services& app) {
    return CodegenLoop{app.env.loop, app.env.storage};
}

void reply_archive(HttpExchange& ex, const Download& download) {
    ex.add_header("Content-Disposition", "attachment; filename=" + download.record.module_name +
                                             "-" + download.record.version + "-" +
                                             download.language->id + "." +
                                             std::string(archive_format_name(download.format)));
    reply_cached(
        ex, CachedResponse{download.archive.bytes, std::string(archive_media_type(download.format)),
                           quoted_etag(download.archive.sha256)});
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
    CompileQuery query{params.get("name"), params.get("version"), std::move(request->languages),
                       request->include_grpc};
    services_.codegen.compile(codegen_loop(app_), app_.reader, std::move(query),
                              [handle = ex.handle()](Result<CompileStarted> started) {
                                  HttpExchange* ex = handle.get();
                                  if (ex == nullptr) return;
                                  if (!started) return reply_error(*ex, started.error());
                                  JsonPtr json = compile_job_to_json(started->job_id, started->job,
                                                                     monotonic_ms());
                                  reply_json(*ex, started->all_cached ? 200 : 202, json.get());
                              });
}

void CodegenHandler::compile_status(HttpExchange& ex, const RouteParams& params) const {
    const int64_t now = monotonic_ms();
    Result<CompileJob> job = services_.codegen.compile_job(
        params.get("name"), params.get("version"), params.get("job_id"), now);
    if (!job) return reply_error(ex, job.error());
    reply_json(ex, 200, compile_job_to_json(params.get("job_id"), *job, now).get());
}

void CodegenHandler::download(HttpExchange& ex, const RouteParams& params) const {
    DownloadQuery query{params.get("name"), params.get("version"), params.get("language"),
                        ArchiveFormat::Zip, false};
    if (auto raw = ex.query("format")) {
        std::optional<ArchiveFormat> format = parse_archive_format(*raw);
        if (!format) {
            return reply_error(
                ex, Error::bad_request("query parameter \"format\" must be \"zip\" or \"tar.gz\""));
        }
        query.format = *format;
    }
    auto include_grpc = query_bool(ex, "include_grpc", false);
    if (!include_grpc) return reply_error(ex, include_grpc.error());
    query.include_grpc = *include_grpc;
    services_.codegen.download(codegen_loop(app_), app_.reader, std::move(query),
                               [handle = ex.handle()](Result<Download> download) {
                                   HttpExchange* ex = handle.get();
                                   if (ex == nullptr) return;
                                   if (!download) return reply_error(*ex, download.error());
                                   reply_archive(*ex, *download);
                               });
}

}  // namespace spoke
