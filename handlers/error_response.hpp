#pragma once
// The one place that turns an Error into an HTTP status and a JSON error body.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace spoke {

class HttpExchange;

// ErrorReply: a rendered error response, before it is sent.
struct ErrorReply {
    int status = 500;
    std::string body;          // {"error", "code", "details"?}
    bool retry_after = false;  // send "Retry-After: 1" (503)
};

int http_status_of(ErrorCode code);
// Stable code string: "BAD_REQUEST", "NOT_FOUND", ...
std::string_view error_code_name(ErrorCode code);
// Internal errors get a generic message: their text may name paths or library state.
ErrorReply render_error(const Error& error);
// An error body for statuses that have no ErrorCode (404 route, 405, 415).
std::string error_body(std::string_view message, std::string_view code);

// Reply with `error` (logs Internal errors to stderr with the request id).
void reply_error(HttpExchange& ex, const Error& error);
// 429 RATE_LIMITED with `Retry-After: seconds` and the same number as "retry_after" in the body.
void reply_rate_limited(HttpExchange& ex, std::string_view message, int64_t seconds);
// 404 for a path no route matches.
void reply_route_not_found(HttpExchange& ex);
// 405 with `Allow: <allow>`.
void reply_method_not_allowed(HttpExchange& ex, std::string_view allow);
// 415 for a JSON route that got another Content-Type.
void reply_unsupported_media_type(HttpExchange& ex, std::string_view content_type);

}  // namespace spoke
