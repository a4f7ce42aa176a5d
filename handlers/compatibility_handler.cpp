#include "handlers/compatibility_handler.hpp"

#include <memory>
#include <optional>
#include <utility>

#include "backends/storage.hpp"
#include "backends/storage_errors.hpp"
#include "handlers/compat_check.hpp"
#include "handlers/compat_json.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "reactor/http_exchange.hpp"
#include "registry/semver.hpp"

namespace spoke {
namespace {

// A level that is not one of the seven can only come from a damaged record.
Result<CompatMode> module_level(const Module& m) {
    if (auto mode = parse_compat_mode(m.compatibility)) return *mode;
    return Error::internal("module " + m.name + " has an unknown compatibility level stored");
}

void reply_outcome(HttpExchange& ex, const CompatOutcome& outcome) {
    reply_json(ex, outcome.compatible() ? 200 : 409, compat_outcome_to_json(outcome).get());
}

// The records of `versions` (each may say "latest" or use either spelling), in order, looked up
// one after another; NotFound names the first that is missing.
void resolve_records(LoopServices& services, std::string module, std::vector<std::string> versions,
                     std::vector<VersionRecord> found,
                     Completion<std::vector<VersionRecord>> done) {
    const size_t next = found.size();
    std::string version = versions[next];
    std::string name = module;
    services.storage.get_version(std::move(name), std::move(version),
                                 [&services, module = std::move(module),
                                  versions = std::move(versions), found = std::move(found),
                                  done = std::move(done)](Result<VersionSnapshotPtr> snap) mutable {
                                     if (!snap) return done(std::move(snap).error());
                                     found.push_back((*snap)->record);
                                     if (found.size() == versions.size())
                                         return done(std::move(found));
                                     resolve_records(services, std::move(module),
                                                     std::move(versions), std::move(found),
                                                     std::move(done));
                                 });
}

// Checks `newer` against `older` (nearest first) and replies 200 or 409 with the CompatResult.
// Runs in a completion, so an immediate reply is not re-entrant.
void check_and_reply(LoopServices& services, const ExchangeHandle& handle, CompatMode mode,
                     VersionRecord newer, std::vector<VersionRecord> older, bool against_several) {
    HttpExchange* ex = handle.get();
    if (ex == nullptr) return;
    if (mode == CompatMode::None || older.empty()) {
        CompatOutcome outcome;
        outcome.mode = mode;
        outcome.new_version = newer.version;
        if (!older.empty()) outcome.old_version = older.front().version;
        outcome.against_several = against_several;
        return reply_outcome(*ex, outcome);
    }
    std::vector<VersionRecord> records;
    records.reserve(older.size() + 1);
    records.push_back(std::move(newer));
    for (auto& r : older) records.push_back(std::move(r));
    compile_stored_versions(
        services, std::move(records),
        [&services, handle, mode,
         against_several](Result<std::vector<CompiledVersion>> compiled) mutable {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!compiled) return reply_error(*ex, compiled.error());
            Callback<Result<CompatOutcome>()> work(
                [compiled = std::move(*compiled), mode, against_several] {
                    const std::vector<CompiledVersion> older(compiled.begin() + 1, compiled.end());
                    return run_compat_check(mode, compiled.front(), older, against_several);
                });
            run_guarded_on_pool<CompatOutcome>(services, std::move(work),
                                               [handle](Result<CompatOutcome> outcome) {
                                                   HttpExchange* ex = handle.get();
                                                   if (ex == nullptr) return;
                                                   if (!outcome) {
                                                       return reply_error(*ex, outcome.error());
                                                   }
                                                   reply_outcome(*ex, *outcome);
                                               });
        });
}

// The record a version path parameter names within a module's list ("latest" included).
Result<VersionRecord> find_listed(const std::vector<VersionRecord>& newest_first,
                                  std::string_view module, std::string_view version) {
    if (version == "latest") {
        if (auto i = select_latest(newest_first)) return newest_first[*i];
        return storage_errors::no_versions(module);
    }
    const std::string key = version_key(version);
    for (const auto& r : newest_first) {
        if (version_key(r.version) == key) return r;
    }
    return storage_errors::version_missing(module, version);
}

}  // namespace

void CompatibilityHandler::get_config(HttpExchange& ex, const RouteParams& params) const {
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, std::nullopt)) return;
    services_.storage.get_module(name, [handle = ex.handle()](Result<Module> module) {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!module) return reply_error(*ex, module.error());
        reply_json(*ex, 200, compat_config_to_json(module->compatibility).get());
    });
}

void CompatibilityHandler::put_config(HttpExchange& ex, const RouteParams& params) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto level = decode_compat_config(body->get());
    if (!level) return reply_error(ex, level.error());
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, std::nullopt)) return;
    services_.storage.set_compatibility(
        name, compat_mode_name(*level), [handle = ex.handle()](Result<Module> module) {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!module) return reply_error(*ex, module.error());
            reply_json(*ex, 200, compat_config_to_json(module->compatibility).get());
        });
}

void CompatibilityHandler::check_pair(HttpExchange& ex, const RouteParams& params) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto request = decode_compat_check(body->get());
    if (!request) return reply_error(ex, request.error());
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, request->old_version) ||
        reply_if_impossible_name(ex, name, request->new_version)) {
        return;
    }
    LoopServices& services = services_;
    services.storage.get_module(
        name, [&services, handle = ex.handle(),
               request = std::move(*request)](Result<Module> module) mutable {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!module) return reply_error(*ex, module.error());
            auto level = request.mode ? Result<CompatMode>(*request.mode) : module_level(*module);
            if (!level) return reply_error(*ex, level.error());
            std::vector<std::string> versions{request.old_version, request.new_version};
            resolve_records(services, module->name, std::move(versions), {},
                            [&services, handle,
                             mode = *level](Result<std::vector<VersionRecord>> records) mutable {
                                HttpExchange* ex = handle.get();
                                if (ex == nullptr) return;
                                if (!records) return reply_error(*ex, records.error());
                                // An explicit pair is one check, also for a transitive mode.
                                std::vector<VersionRecord> older{std::move((*records)[0])};
                                check_and_reply(services, handle, mode, std::move((*records)[1]),
                                                std::move(older), false);
                            });
        });
}

void CompatibilityHandler::check_version(HttpExchange& ex, const RouteParams& params) const {
    std::optional<CompatMode> mode;
    if (auto text = ex.query("mode")) {
        auto parsed = parse_level(*text, "mode");
        if (!parsed) return reply_error(ex, parsed.error());
        mode = *parsed;
    }
    const std::string& name = params.get("name");
    const std::string& version = params.get("version");
    if (reply_if_impossible_name(ex, name, version)) return;
    LoopServices& services = services_;
    services.storage.get_module(
        name, [&services, handle = ex.handle(), mode, version](Result<Module> module) mutable {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!module) return reply_error(*ex, module.error());
            auto level = mode ? Result<CompatMode>(*mode) : module_level(*module);
            if (!level) return reply_error(*ex, level.error());
            std::string name = module->name;
            services.storage.list_versions(
                name, [&services, handle, name, version,
                       mode = *level](Result<std::vector<VersionRecord>> listed) mutable {
                    HttpExchange* ex = handle.get();
                    if (ex == nullptr) return;
                    if (!listed) return reply_error(*ex, listed.error());
                    auto record = find_listed(*listed, name, version);
                    if (!record) return reply_error(*ex, record.error());
                    const bool transitive = is_transitive(mode);
                    auto older = previous_versions(*listed, record->version, transitive);
                    check_and_reply(services, handle, mode, std::move(*record), std::move(older),
                                    transitive);
                });
        });
}

void CompatibilityHandler::diff(HttpExchange& ex, const RouteParams& params) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto request = decode_diff_request(body->get());
    if (!request) return reply_error(ex, request.error());
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, request->from_version) ||
        reply_if_impossible_name(ex, name, request->to_version)) {
        return;
    }
    LoopServices& services = services_;
    std::vector<std::string> versions{request->from_version, request->to_version};
    resolve_records(
        services, name, std::move(versions), {},
        [&services, handle = ex.handle()](Result<std::vector<VersionRecord>> records) mutable {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!records) return reply_error(*ex, records.error());
            compile_stored_versions(
                services, std::move(*records),
                [&services, handle](Result<std::vector<CompiledVersion>> compiled) mutable {
                    HttpExchange* ex = handle.get();
                    if (ex == nullptr) return;
                    if (!compiled) return reply_error(*ex, compiled.error());
                    struct Diff {
                        std::string from_version, to_version;
                        std::vector<SchemaChange> changes;
                    };
                    Callback<Result<Diff>()> work([compiled =
                                                       std::move(*compiled)]() -> Result<Diff> {
                        auto changes = run_schema_diff(compiled[0], compiled[1]);
                        if (!changes) return std::move(changes).error();
                        return Diff{compiled[0].version, compiled[1].version, std::move(*changes)};
                    });
                    run_guarded_on_pool<Diff>(
                        services, std::move(work), [handle](Result<Diff> diff) {
                            HttpExchange* ex = handle.get();
                            if (ex == nullptr) return;
                            if (!diff) return reply_error(*ex, diff.error());
                            reply_json(*ex, 200,
                                       schema_diff_to_json(diff->from_version, diff->to_version,
                                                           diff->changes)
                                           .get());
                        });
                });
        });
}

}  // namespace spoke
