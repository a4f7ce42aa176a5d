#include "handlers/confluent_reply.hpp"

#include <array>
#include <string>

#include "handlers/confluent_json.hpp"
#include "handlers/error_response.hpp"
#include "reactor/http_exchange.hpp"
#include "reactor/log.hpp"

namespace spoke {

bool is_confluent_path(std::string_view path) {
    static constexpr std::array<std::string_view, 5> kRoots = {"/schemas", "/subjects", "/config",
                                                               "/mode", "/compatibility"};
    for (std::string_view root : kRoots) {
        if (path.starts_with(root) && (path.size() == root.size() || path[root.size()] == '/')) {
            return true;
        }
    }
    return false;
}

void reply_confluent_error(HttpExchange& ex, const Error& error) {
    const bool internal = error.code == ErrorCode::Internal;
    if (internal) {
        Log::write(LogLevel::Error, "internal error",
                   {{"request_id", std::string_view(ex.request_id())},
                    {"route", ex.route()},
                    {"error", std::string_view(error.message)}});
    }
    if (error.code == ErrorCode::Unavailable) ex.add_header("Retry-After", "1");
    ex.reply(http_status_of(error.code), kConfluentContentType,
             confluent_error_body(confluent_error_code(error),
                                  internal ? "internal error" : error.message));
}

void reply_confluent_rate_limited(HttpExchange& ex, std::string_view message, int64_t seconds) {
    ex.add_header("Retry-After", std::to_string(seconds));
    ex.reply(429, kConfluentContentType, confluent_error_body(429, message));
}

void reply_confluent_not_found(HttpExchange& ex) {
    ex.reply(404, kConfluentContentType, confluent_error_body(404, "HTTP 404 Not Found"));
}

}  // namespace spoke
