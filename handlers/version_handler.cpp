#include "handlers/version_handler.hpp"

#include <memory>

#include "backends/storage.hpp"
#include "handlers/cache_keys.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "handlers/response_cache.hpp"
#include "handlers/schema_loader.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/push_request.hpp"

namespace spoke {
namespace {

// State of one push across its storage and pool steps; owned by whichever completion is next.
struct PushContext {
    ExchangeHandle handle;
    ValidatedPush push;
    std::vector<std::string> resolved_dependencies;
    std::string descriptor_set;  // from the compile, cached once the version is stored
};
using PushContextPtr = std::unique_ptr<PushContext>;

void store_version(LoopServices& services, PushContextPtr ctx) {
    VersionDraft draft = make_draft(std::move(ctx->push), ctx->resolved_dependencies, wall_ms());
    services.storage.put_version(
        std::move(draft), [&services, ctx = std::move(ctx)](Result<PutVersionResult> put) {
            if (put) {
                // The compile that admitted the version produced its descriptor set: keep it.
                const VersionRecord& r = put->record;
                services.cache.insert(
                    descriptor_cache_key(r.module_name, r.version, false),
                    std::make_shared<const CachedResponse>(CachedResponse{
                        std::make_shared<const std::string>(std::move(ctx->descriptor_set)),
                        "application/x-protobuf", quoted_etag(r.digest)}));
            }
            HttpExchange* ex = ctx->handle.get();
            if (ex == nullptr) return;
            if (!put) return reply_error(*ex, put.error());
            const int status = put->outcome == PutOutcome::Created ? 201 : 200;
            if (status == 201) {
                ex->add_header("Location", "/modules/" + put->record.module_name + "/versions/" +
                                               put->record.version);
            }
            reply_json(*ex, status, version_summary_to_json(put->record).get());
        });
}

void compile_and_store(LoopServices& services, PushContextPtr ctx, ClosureContents closure) {
    auto resolved = resolve_direct(ctx->push.dependencies, closure.records);
    if (!resolved) {
        if (HttpExchange* ex = ctx->handle.get()) reply_error(*ex, resolved.error());
        return;
    }
    ctx->resolved_dependencies = std::move(*resolved);
    CompileRequest request{ctx->push.files, std::move(closure.snapshots), false};
    compile_on_pool(services, std::move(request),
                    [&services, ctx = std::move(ctx)](Result<CompiledSchema> compiled) mutable {
                        HttpExchange* ex = ctx->handle.get();
                        if (ex == nullptr) return;
                        if (!compiled) return reply_error(*ex, compiled.error());
                        ctx->descriptor_set = std::move(compiled->descriptor_set);
                        store_version(services, std::move(ctx));
                    });
}

// Bodies larger than this are rendered on the worker pool: rendering a 32 MiB version would hold
// the loop (and every connection on it) for tens of milliseconds.
constexpr uint64_t kRenderOnLoopMaxBytes = 256u << 10;

uint64_t content_bytes(const VersionRecord& r) {
    uint64_t total = 0;
    for (const auto& f : r.files) total += f.size;
    return total;
}

CachedResponsePtr render_version(const VersionSnapshot& s) {
    return std::make_shared<const CachedResponse>(
        CachedResponse{std::make_shared<const std::string>(dump_json(version_to_json(s).get())),
                       std::string(kJsonContentType), quoted_etag(s.record.digest)});
}

// Cache a rendered version under the requested and the stored spelling, then reply.
void publish_version(ResponseCache& cache, const ExchangeHandle& handle, std::string requested_key,
                     const VersionSnapshot& s, CachedResponsePtr rendered) {
    HttpExchange* ex = handle.get();
    if (!rendered) {
        if (ex != nullptr) reply_error(*ex, Error::internal("rendering a version failed"));
        return;
    }
    std::string stored = version_cache_key(s.record.module_name, s.record.version);
    if (!requested_key.empty() && requested_key != stored) {
        cache.insert(std::move(requested_key), rendered);
    }
    cache.insert(std::move(stored), rendered);
    if (ex != nullptr) reply_cached(*ex, *rendered);
}

JsonPtr summaries_to_json(const std::vector<VersionRecord>& versions) {
    JsonPtr list(json_array());
    for (const auto& v : versions) {
        json_array_append_new(list.get(), version_summary_to_json(v).release());
    }
    return list;
}

}  // namespace

void VersionHandler::push(HttpExchange& ex, const RouteParams& params) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto request = decode_push_request(body->get(), params.get("name"));
    if (!request) return reply_error(ex, request.error());
    body.reset();  // the decoded copy is all we need; free the tree before the long steps
    auto validated = validate_push(std::move(*request), services_.settings.limits);
    if (!validated) return reply_error(ex, validated.error());

    auto ctx = std::make_unique<PushContext>();
    ctx->handle = ex.handle();
    ctx->push = std::move(*validated);
    std::string module = ctx->push.module;
    LoopServices& services = services_;
    // The module must exist before any dependency is loaded or anything is compiled.
    services.storage.get_module(std::move(module), [&services, ctx = std::move(ctx)](
                                                       Result<Module> found) mutable {
        HttpExchange* ex = ctx->handle.get();
        if (ex == nullptr) return;
        if (!found) return reply_error(*ex, found.error());
        std::vector<VersionRef> roots = ctx->push.dependencies;
        load_closure(services, std::move(roots),
                     [&services, ctx = std::move(ctx)](Result<ClosureContents> closure) mutable {
                         HttpExchange* ex = ctx->handle.get();
                         if (ex == nullptr) return;
                         if (!closure) return reply_error(*ex, closure.error());
                         compile_and_store(services, std::move(ctx), std::move(*closure));
                     });
    });
}

void VersionHandler::list(HttpExchange& ex, const RouteParams& params) const {
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, std::nullopt)) return;
    services_.storage.list_versions(
        name, [handle = ex.handle()](Result<std::vector<VersionRecord>> versions) {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!versions) return reply_error(*ex, versions.error());
            reply_json(*ex, 200, summaries_to_json(*versions).get());
        });
}

void VersionHandler::get(HttpExchange& ex, const RouteParams& params) const {
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    const bool concrete = version != "latest";
    if (concrete) {
        // Hot path: immutable, already rendered.
        if (CachedResponsePtr hit = services_.cache.find(version_cache_key(module, version))) {
            return reply_cached(ex, *hit);
        }
    }
    if (reply_if_impossible_name(ex, module, version)) return;
    LoopServices& services = services_;
    services.storage.get_version(
        module, version,
        [&services, handle = ex.handle(),
         requested = concrete ? version_cache_key(module, version)
                              : std::string()](Result<VersionSnapshotPtr> snapshot) mutable {
            if (!snapshot) {
                if (HttpExchange* ex = handle.get()) reply_error(*ex, snapshot.error());
                return;
            }
            VersionSnapshotPtr snap = std::move(*snapshot);
            if (content_bytes(snap->record) <= kRenderOnLoopMaxBytes) {
                CachedResponsePtr rendered = render_version(*snap);
                return publish_version(services.cache, handle, std::move(requested), *snap,
                                       std::move(rendered));
            }
            Callback<CachedResponsePtr()> work([snap] {
                // Nothing may throw across the pool boundary; nullptr reports the failure.
                try {
                    return render_version(*snap);
                } catch (...) {
                    return CachedResponsePtr();
                }
            });
            services.pool.run<CachedResponsePtr>(
                services.loop, std::move(work),
                [&services, handle, requested = std::move(requested),
                 snap](CachedResponsePtr rendered) mutable {
                    publish_version(services.cache, handle, std::move(requested), *snap,
                                    std::move(rendered));
                });
        });
}

}  // namespace spoke
