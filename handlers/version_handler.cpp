#include "handlers/version_handler.hpp"

#include <memory>
#include <variant>

#include "handlers/cache_keys.hpp"
#include "handlers/compat_json.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "handlers/response_cache.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/guarded_work.hpp"
#include "registry/push_request.hpp"

namespace spoke {
namespace {

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
                     const VersionSnapshot& s, Result<CachedResponsePtr> rendered) {
    HttpExchange* ex = handle.get();
    if (!rendered) {
        if (ex != nullptr) reply_error(*ex, rendered.error());
        return;
    }
    std::string stored = version_cache_key(s.record.module_name, s.record.version);
    if (!requested_key.empty() && requested_key != stored) {
        cache.insert(std::move(requested_key), *rendered);
    }
    cache.insert(std::move(stored), *rendered);
    if (ex != nullptr) reply_cached(*ex, **rendered);
}

// 201 with a Location for a new version, 200 for an identical re-push; the summary and warnings.
void reply_stored(HttpExchange& ex, const PushStored& stored) {
    const VersionRecord& r = stored.put.record;
    const int status = stored.put.outcome == PutOutcome::Created ? 201 : 200;
    if (status == 201) {
        ex.add_header("Location", "/modules/" + r.module_name + "/versions/" + r.version);
    }
    JsonPtr body = version_summary_to_json(r);
    json_object_set_new(body.get(), "warnings", lint_warnings_to_json(stored.warnings).release());
    reply_json(ex, status, body.get());
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
    ex.add_log_field("version", request->version);
    body.reset();  // the decoded copy is all we need; free the tree before the long steps
    auto validated = validate_push(std::move(*request), services_.settings.limits);
    if (!validated) return reply_error(ex, validated.error());
    app_.push.push(PushInput{std::move(*validated), ex.lifetime_guard()},
                   [handle = ex.handle()](Result<PushOutcome> outcome) {
                       HttpExchange* ex = handle.get();
                       if (ex == nullptr) return;
                       if (!outcome) return reply_error(*ex, outcome.error());
                       if (const auto* rejected = std::get_if<PushIncompatible>(&*outcome)) {
                           return reply_json(*ex, http_status_of(ErrorCode::Incompatible),
                                             incompatible_push_to_json(rejected->verdict).get());
                       }
                       reply_stored(*ex, std::get<PushStored>(*outcome));
                   });
}

void VersionHandler::list(HttpExchange& ex, const RouteParams& params) const {
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, std::nullopt)) return;
    app_.reader.list(name, [handle = ex.handle()](Result<std::vector<VersionRecord>> versions) {
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
    app_.reader.get(module, version,
                    [&services, handle = ex.handle(),
                     requested = concrete ? version_cache_key(module, version) : std::string()](
                        Result<VersionSnapshotPtr> snapshot) mutable {
                        if (!snapshot) {
                            if (HttpExchange* ex = handle.get()) reply_error(*ex, snapshot.error());
                            return;
                        }
                        VersionSnapshotPtr snap = std::move(*snapshot);
                        if (content_bytes(snap->record) <= kRenderOnLoopMaxBytes) {
                            CachedResponsePtr rendered = render_version(*snap);
                            return publish_version(services.cache, handle, std::move(requested),
                                                   *snap, std::move(rendered));
                        }
                        run_guarded<CachedResponsePtr>(
                            services.pool, services.loop, "render version",
                            [snap]() -> Result<CachedResponsePtr> { return render_version(*snap); },
                            [&services, handle, requested = std::move(requested),
                             snap](Result<CachedResponsePtr> rendered) mutable {
                                publish_version(services.cache, handle, std::move(requested), *snap,
                                                std::move(rendered));
                            });
                    });
}

}  // namespace spoke
