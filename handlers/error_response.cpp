#include "handlers/error_response.hpp"

#include <cstdio>

#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "reactor/http_exchange.hpp"
#include "reactor/log.hpp"

namespace spoke {

int http_status_of(ErrorCode code) {
    switch (code) {
        case ErrorCode::BadRequest:
            return 400;
        case ErrorCode::NotFound:
            return 404;
        case ErrorCode::ModuleExists:
            return 409;
        case ErrorCode::VersionExists:
            return 409;
        case ErrorCode::Incompatible:
            return 409;
        case ErrorCode::PayloadTooLarge:
            return 413;
        case ErrorCode::InvalidProto:
            return 422;
        case ErrorCode::UnknownDependency:
            return 422;
        case ErrorCode::UnresolvedImport:
            return 422;
        case ErrorCode::Unauthorized:
            return 401;
        case ErrorCode::Forbidden:
            return 403;
        case ErrorCode::RateLimited:
            return 429;
        case ErrorCode::Unavailable:
            return 503;
        case ErrorCode::Internal:
            return 500;
    }
    return 500;
}

std::string_view error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::BadRequest:
            return "BAD_REQUEST";
        case ErrorCode::NotFound:
            return "NOT_FOUND";
        case ErrorCode::ModuleExists:
            return "MODULE_EXISTS";
        case ErrorCode::VersionExists:
            return "VERSION_EXISTS";
        case ErrorCode::Incompatible:
            return "INCOMPATIBLE";
        case ErrorCode::PayloadTooLarge:
            return "PAYLOAD_TOO_LARGE";
        case ErrorCode::InvalidProto:
            return "INVALID_PROTO";
        case ErrorCode::UnknownDependency:
            return "UNKNOWN_DEPENDENCY";
        case ErrorCode::UnresolvedImport:
            return "UNRESOLVED_IMPORT";
        case ErrorCode::Unauthorized:
            return "UNAUTHORIZED";
        case ErrorCode::Forbidden:
            return "FORBIDDEN";
        case ErrorCode::RateLimited:
            return "RATE_LIMITED";
        case ErrorCode::Unavailable:
            return "UNAVAILABLE";
        case ErrorCode::Internal:
            return "INTERNAL";
    }
    return "INTERNAL";
}

std::string error_body(std::string_view message, std::string_view code) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "error", json_text(message).release());
    json_object_set_new(o.get(), "code", json_text(code).release());
    return dump_json(o.get());
}

ErrorReply render_error(const Error& error) {
    ErrorReply out;
    out.status = http_status_of(error.code);
    out.retry_after = error.code == ErrorCode::Unavailable;
    const bool internal = error.code == ErrorCode::Internal;
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "error",
                        json_text(internal ? "internal error" : error.message).release());
    json_object_set_new(o.get(), "code", json_text(error_code_name(error.code)).release());
    if (!internal && !error.details.empty()) {
        json_object_set_new(o.get(), "details", diagnostics_to_json(error.details).release());
    }
    out.body = dump_json(o.get());
    return out;
}

void reply_error(HttpExchange& ex, const Error& error) {
    if (error.code == ErrorCode::Internal) {
        Log::write(LogLevel::Error, "internal error",
                   {{"request_id", std::string_view(ex.request_id())},
                    {"route", ex.route()},
                    {"error", std::string_view(error.message)}});
    }
    ErrorReply r = render_error(error);
    if (r.retry_after) ex.add_header("Retry-After", "1");
    ex.reply(r.status, kJsonContentType, std::move(r.body));
}

void reply_rate_limited(HttpExchange& ex, std::string_view message, int64_t seconds) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "error", json_text(message).release());
    json_object_set_new(o.get(), "code", json_text("RATE_LIMITED").release());
    json_object_set_new(o.get(), "retry_after", json_integer(seconds));
    ex.add_header("Retry-After", std::to_string(seconds));
    ex.reply(429, kJsonContentType, dump_json(o.get()));
}

void reply_route_not_found(HttpExchange& ex) {
    ex.reply(404, kJsonContentType, error_body("no such route", "NOT_FOUND"));
}

void reply_method_not_allowed(HttpExchange& ex, std::string_view allow) {
    ex.add_header("Allow", std::string(allow));
    ex.reply(405, kJsonContentType,
             error_body("method " + std::string(method_name(ex.method())) +
                            " is not allowed here; allowed: " + std::string(allow),
                        "METHOD_NOT_ALLOWED"));
}

void reply_unsupported_media_type(HttpExchange& ex, std::string_view content_type) {
    ex.reply(415, kJsonContentType,
             error_body("Content-Type must be application/json, not " + quote_value(content_type),
                        "UNSUPPORTED_MEDIA_TYPE"));
}

}  // namespace spoke
