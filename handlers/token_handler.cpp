#include "handlers/token_handler.hpp"

#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"

namespace spoke {

void TokenHandler::create(HttpExchange& ex, const RouteParams&) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto request = decode_token_request(body->get());
    if (!request) return reply_error(ex, request.error());
    app_.tokens.create(std::move(*request), [handle = ex.handle()](Result<CreatedToken> made) {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!made) return reply_error(*ex, made.error());
        ex->add_log_field("token_id", made->record.id);
        // The contract's shape: the record's identity and limits, and the secret, shown only here.
        JsonPtr full = token_to_json(made->record);
        JsonPtr out(json_object());
        for (const char* key : {"id", "name", "scopes", "prefixes", "expires_at"}) {
            json_object_set(out.get(), key, json_object_get(full.get(), key));
        }
        json_object_set_new(out.get(), "token", json_text(made->secret).release());
        ex->add_header("Location", "/auth/tokens/" + made->record.id);
        ex->add_header("Cache-Control", "no-store");
        reply_json(*ex, 201, out.get());
    });
}

void TokenHandler::list(HttpExchange& ex, const RouteParams&) const {
    app_.tokens.list([handle = ex.handle()](Result<std::vector<ApiToken>> tokens) {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!tokens) return reply_error(*ex, tokens.error());
        JsonPtr array(json_array());
        for (const auto& t : *tokens)
            json_array_append_new(array.get(), token_to_json(t).release());
        reply_json(*ex, 200, array.get());
    });
}

void TokenHandler::revoke(HttpExchange& ex, const RouteParams& params) const {
    const std::string& id = params.get("id");
    ex.add_log_field("token_id", id);
    app_.tokens.revoke(id, [handle = ex.handle()](Result<ApiToken> revoked) {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!revoked) return reply_error(*ex, revoked.error());
        reply_json(*ex, 200, token_to_json(*revoked).get());
    });
}

}  // namespace spoke
