#include "handlers/version_handler.hpp"

#include <memory>

#include "backends/storage.hpp"
#include "handlers/cache_keys.hpp"
#include "handlers/compat_check.hpp"
#include "handlers/compat_json.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "handlers/response_cache.hpp"
#include "handlers/schema_loader.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/log.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/lint/compiler_warnings.hpp"
#include "registry/lint/lint_schema.hpp"
#include "registry/push_request.hpp"

namespace spoke {
namespace {

// State of one push across its storage and pool steps; owned by whichever completion is next.
struct PushContext {
    ExchangeHandle handle;
    ValidatedPush push;
    CompatMode level = CompatMode::None;
    // What the push gate checks against (nearest first); empty: no gate for this push.
    std::vector<VersionRecord> previous;
    std::vector<std::string> resolved_dependencies;
    std::string descriptor_set;  // from the compile, without source info; cached once stored
    // With source info, when the gate compiled it so; cached once stored (the next push checks
    // against it).
    std::shared_ptr<const std::string> descriptor_set_with_source;
    std::vector<LintWarning> warnings;  // lint and compiler warnings, returned with the reply
};
using PushContextPtr = std::unique_ptr<PushContext>;

void cache_descriptor(ResponseCache& cache, const VersionRecord& r, bool source_info,
                      std::shared_ptr<const std::string> set) {
    cache.insert(descriptor_cache_key(r.module_name, r.version, source_info),
                 std::make_shared<const CachedResponse>(CachedResponse{
                     std::move(set), "application/x-protobuf", quoted_etag(r.digest)}));
}

void store_version(LoopServices& services, PushContextPtr ctx) {
    VersionDraft draft = make_draft(std::move(ctx->push), ctx->resolved_dependencies, wall_ms());
    services.storage.put_version(std::move(draft), [&services, ctx = std::move(ctx)](
                                                       Result<PutVersionResult> put) {
        if (put) {
            // The compile that admitted the version produced its descriptor set: keep it.
            const VersionRecord& r = put->record;
            cache_descriptor(services.cache, r, false,
                             std::make_shared<const std::string>(std::move(ctx->descriptor_set)));
            if (ctx->descriptor_set_with_source) {
                cache_descriptor(services.cache, r, true,
                                 std::move(ctx->descriptor_set_with_source));
            }
        }
        HttpExchange* ex = ctx->handle.get();
        if (ex == nullptr) return;
        if (!put) return reply_error(*ex, put.error());
        const int status = put->outcome == PutOutcome::Created ? 201 : 200;
        if (status == 201) {
            ex->add_header("Location", "/modules/" + put->record.module_name + "/versions/" +
                                           put->record.version);
        }
        JsonPtr body = version_summary_to_json(put->record);
        json_object_set_new(body.get(), "warnings", lint_warnings_to_json(ctx->warnings).release());
        reply_json(*ex, status, body.get());
    });
}

// The compatibility gate: the pushed version (compiled with source info) against the previous
// version(s); 409 INCOMPATIBLE and nothing stored on an error-level violation.
void gate_and_store(LoopServices& services, PushContextPtr ctx) {
    std::vector<VersionRecord> previous = ctx->previous;
    compile_stored_versions(
        services, std::move(previous),
        [&services, ctx = std::move(ctx)](Result<std::vector<CompiledVersion>> older) mutable {
            HttpExchange* ex = ctx->handle.get();
            if (ex == nullptr) return;
            if (!older) return reply_error(*ex, older.error());
            std::vector<std::string> own;
            own.reserve(ctx->push.files.size());
            for (const auto& f : ctx->push.files) own.push_back(f.path);
            CompiledVersion newer{ctx->push.version, ctx->descriptor_set_with_source,
                                  std::move(own)};
            Callback<Result<CompatOutcome>()> work(
                [newer = std::move(newer), older = std::move(*older), level = ctx->level] {
                    return run_compat_check(level, newer, older, is_transitive(level));
                });
            run_guarded_on_pool<CompatOutcome>(
                services, std::move(work),
                [&services, ctx = std::move(ctx)](Result<CompatOutcome> verdict) mutable {
                    HttpExchange* ex = ctx->handle.get();
                    if (ex == nullptr) return;
                    if (!verdict) return reply_error(*ex, verdict.error());
                    if (!verdict->compatible()) {
                        return reply_json(*ex, http_status_of(ErrorCode::Incompatible),
                                          incompatible_push_to_json(*verdict).get());
                    }
                    store_version(services, std::move(ctx));
                });
        });
}

// What the lint's pool job hands back: the warnings and the descriptor set without source info.
struct LintedSchema {
    std::vector<LintWarning> warnings;
    std::string stripped_set;
};

// Lints the compiled push (never blocking: a lint failure is logged) and strips source info for
// the descriptor cache, on the pool; then the gate, if any, and the store.
void lint_then_store(LoopServices& services, PushContextPtr ctx, CompiledSchema compiled,
                     bool gated) {
    auto with_source = std::make_shared<const std::string>(std::move(compiled.descriptor_set));
    std::vector<std::string> own;
    for (const auto& f : ctx->push.files) own.push_back(f.path);
    Callback<Result<LintedSchema>()> work(
        [with_source, own = std::move(own),
         compiler = std::move(compiled.warnings)]() -> Result<LintedSchema> {
            auto lint = lint_schema(*with_source, own);
            if (!lint)
                Log::write(LogLevel::Error, "lint failed", {{"error", lint.error().message}});
            auto stripped = strip_source_info(*with_source);
            if (!stripped) return std::move(stripped).error();
            return LintedSchema{merge_compiler_warnings(
                                    compiler, lint ? std::move(*lint) : std::vector<LintWarning>{}),
                                std::move(*stripped)};
        });
    run_guarded_on_pool<LintedSchema>(
        services, std::move(work),
        [&services, gated, with_source, ctx = std::move(ctx)](Result<LintedSchema> linted) mutable {
            HttpExchange* ex = ctx->handle.get();
            if (ex == nullptr) return;
            if (!linted) return reply_error(*ex, linted.error());
            ctx->warnings = std::move(linted->warnings);
            ctx->descriptor_set = std::move(linted->stripped_set);
            ctx->descriptor_set_with_source = std::move(with_source);
            if (!gated) return store_version(services, std::move(ctx));
            gate_and_store(services, std::move(ctx));
        });
}

void compile_and_store(LoopServices& services, PushContextPtr ctx, ClosureContents closure) {
    auto resolved = resolve_direct(ctx->push.dependencies, closure.records);
    if (!resolved) {
        if (HttpExchange* ex = ctx->handle.get()) reply_error(*ex, resolved.error());
        return;
    }
    ctx->resolved_dependencies = std::move(*resolved);
    // Compiled once, with source info (lint and violations carry lines); the descriptor cache
    // gets the set stripped of it.
    const bool gated = !ctx->previous.empty();
    CompileRequest request{ctx->push.files, std::move(closure.snapshots), true};
    compile_on_pool(
        services, std::move(request),
        [&services, gated, ctx = std::move(ctx)](Result<CompiledSchema> compiled) mutable {
            HttpExchange* ex = ctx->handle.get();
            if (ex == nullptr) return;
            if (!compiled) return reply_error(*ex, compiled.error());
            lint_then_store(services, std::move(ctx), std::move(*compiled), gated);
        });
}

void load_and_compile(LoopServices& services, PushContextPtr ctx) {
    std::vector<VersionRef> roots = ctx->push.dependencies;
    load_closure(services, std::move(roots),
                 [&services, ctx = std::move(ctx)](Result<ClosureContents> closure) mutable {
                     HttpExchange* ex = ctx->handle.get();
                     if (ex == nullptr) return;
                     if (!closure) return reply_error(*ex, closure.error());
                     compile_and_store(services, std::move(ctx), std::move(*closure));
                 });
}

// Under a level other than NONE, finds the versions the push must be compatible with. A version
// that is already stored is not gated: storing it again is an identical re-push or a conflict.
void find_previous(LoopServices& services, PushContextPtr ctx) {
    std::string module = ctx->push.module;
    services.storage.list_versions(
        std::move(module),
        [&services, ctx = std::move(ctx)](Result<std::vector<VersionRecord>> listed) mutable {
            HttpExchange* ex = ctx->handle.get();
            if (ex == nullptr) return;
            if (!listed) return reply_error(*ex, listed.error());
            if (!holds_version(*listed, ctx->push.version)) {
                ctx->previous =
                    previous_versions(*listed, ctx->push.version, is_transitive(ctx->level));
            }
            load_and_compile(services, std::move(ctx));
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
        auto level = parse_compat_mode(found->compatibility);
        if (!level) {
            return reply_error(*ex, Error::internal("module " + found->name +
                                                    " has an unknown compatibility level stored"));
        }
        ctx->level = *level;
        if (ctx->level == CompatMode::None) return load_and_compile(services, std::move(ctx));
        find_previous(services, std::move(ctx));
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
