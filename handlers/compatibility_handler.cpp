#include "handlers/compatibility_handler.hpp"

#include <optional>
#include <utility>

#include "handlers/compat_json.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "reactor/http_exchange.hpp"

namespace spoke {
namespace {

// 200 with the config body.
Completion<std::string> reply_level(HttpExchange& ex) {
    return [handle = ex.handle()](Result<std::string> level) {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!level) return reply_error(*ex, level.error());
        reply_json(*ex, 200, compat_config_to_json(*level).get());
    };
}

// 200 or 409 with a CompatResult.
Completion<CompatOutcome> reply_outcome(HttpExchange& ex) {
    return [handle = ex.handle()](Result<CompatOutcome> outcome) {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!outcome) return reply_error(*ex, outcome.error());
        reply_json(*ex, outcome->compatible() ? 200 : 409, compat_outcome_to_json(*outcome).get());
    };
}

}  // namespace

void CompatibilityHandler::get_config(HttpExchange& ex, const RouteParams& params) const {
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, std::nullopt)) return;
    app_.compatibility.level(name, reply_level(ex));
}

void CompatibilityHandler::put_config(HttpExchange& ex, const RouteParams& params) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto level = decode_compat_config(body->get());
    if (!level) return reply_error(ex, level.error());
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, std::nullopt)) return;
    app_.compatibility.set_level(name, *level, reply_level(ex));
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
    app_.compatibility.check_pair(
        CompatPairQuery{name, std::move(request->old_version), std::move(request->new_version),
                        request->mode, ex.lifetime_guard()},
        reply_outcome(ex));
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
    app_.compatibility.check_version(CompatVersionQuery{name, version, mode, ex.lifetime_guard()},
                                     reply_outcome(ex));
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
    app_.compatibility.diff(
        DiffQuery{name, std::move(request->from_version), std::move(request->to_version),
                  ex.lifetime_guard()},
        [handle = ex.handle()](Result<SchemaDiff> diff) {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!diff) return reply_error(*ex, diff.error());
            reply_json(
                *ex, 200,
                schema_diff_to_json(diff->from_version, diff->to_version, diff->changes).get());
        });
}

}  // namespace spoke
