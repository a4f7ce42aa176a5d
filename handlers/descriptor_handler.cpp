#include "handlers/descriptor_handler.hpp"

#include <memory>

#include "backends/storage.hpp"
#include "handlers/cache_keys.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/response_cache.hpp"
#include "handlers/schema_loader.hpp"

namespace spoke {
namespace {

constexpr std::string_view kProtobufType = "application/x-protobuf";

// One descriptor request across its storage and pool steps.
struct DescriptorContext {
    ExchangeHandle handle;
    bool source_info = false;
    std::string requested_key;  // cache key under the requested spelling ("" for latest)
    VersionSnapshotPtr root;
};
using DescriptorContextPtr = std::unique_ptr<DescriptorContext>;

void compile_descriptor(LoopServices& services, DescriptorContextPtr ctx, ClosureContents closure) {
    CompileRequest request{ctx->root->files, std::move(closure.snapshots), ctx->source_info};
    compile_on_pool(
        services, std::move(request),
        [&services, ctx = std::move(ctx)](Result<CompiledSchema> compiled) {
            HttpExchange* ex = ctx->handle.get();
            if (!compiled) {
                // The version compiled when it was pushed; failing now is our fault, not the
                // client's.
                const Error& e = compiled.error();
                if (ex != nullptr) {
                    reply_error(*ex,
                                e.code == ErrorCode::Unavailable
                                    ? e
                                    : Error::internal("descriptor compile failed: " + e.message));
                }
                return;
            }
            const VersionRecord& r = ctx->root->record;
            auto rendered = std::make_shared<const CachedResponse>(CachedResponse{
                std::make_shared<const std::string>(std::move(compiled->descriptor_set)),
                std::string(kProtobufType), quoted_etag(r.digest)});
            std::string stored = descriptor_cache_key(r.module_name, r.version, ctx->source_info);
            if (!ctx->requested_key.empty() && ctx->requested_key != stored) {
                services.cache.insert(std::move(ctx->requested_key), rendered);
            }
            services.cache.insert(std::move(stored), rendered);
            if (ex != nullptr) reply_cached(*ex, *rendered);
        });
}

}  // namespace

void DescriptorHandler::get(HttpExchange& ex, const RouteParams& params) const {
    auto source_info = query_bool(ex, "source_info", false);
    if (!source_info) return reply_error(ex, source_info.error());
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    auto ctx = std::make_unique<DescriptorContext>();
    ctx->handle = ex.handle();
    ctx->source_info = *source_info;
    if (version != "latest") {
        ctx->requested_key = descriptor_cache_key(module, version, *source_info);
        if (CachedResponsePtr hit = services_.cache.find(ctx->requested_key)) {
            return reply_cached(ex, *hit);
        }
    }
    if (reply_if_impossible_name(ex, module, version)) return;
    LoopServices& services = services_;
    services.storage.get_version(
        module, version,
        [&services, ctx = std::move(ctx)](Result<VersionSnapshotPtr> snapshot) mutable {
            HttpExchange* ex = ctx->handle.get();
            if (ex == nullptr) return;
            if (!snapshot) return reply_error(*ex, snapshot.error());
            ctx->root = std::move(*snapshot);
            const VersionRecord& r = ctx->root->record;
            // "latest" (or the other 'v' spelling) may already be compiled.
            if (CachedResponsePtr hit = services.cache.find(
                    descriptor_cache_key(r.module_name, r.version, ctx->source_info))) {
                return reply_cached(*ex, *hit);
            }
            auto roots = parse_stored_refs(r.dependencies);
            if (!roots) return reply_error(*ex, roots.error());
            load_closure(
                services, std::move(*roots),
                [&services, ctx = std::move(ctx)](Result<ClosureContents> closure) mutable {
                    HttpExchange* ex = ctx->handle.get();
                    if (ex == nullptr) return;
                    if (!closure) return reply_error(*ex, closure.error());
                    compile_descriptor(services, std::move(ctx), std::move(*closure));
                });
        });
}

}  // namespace spoke
