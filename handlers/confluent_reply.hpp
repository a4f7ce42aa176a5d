#pragma once
// The Confluent dialect's error replies ({"error_code", "message"} in its media type), for the
// dialect's handlers and for the gate and fallbacks in front of them, so a Kafka client parses
// every refusal on those paths, not only the handlers' own.

#include <cstdint>
#include <string_view>

#include "common/result.hpp"

namespace spoke {

class HttpExchange;

// True for a path under one of the dialect's roots (/schemas, /subjects, /config, /mode,
// /compatibility).
bool is_confluent_path(std::string_view path);
// Reply with `error` (logs Internal errors with the request id, as reply_error does).
void reply_confluent_error(HttpExchange& ex, const Error& error);
// 429 with `Retry-After: seconds`; error_code 429.
void reply_confluent_rate_limited(HttpExchange& ex, std::string_view message, int64_t seconds);
// 404 for a path or method no route serves.
void reply_confluent_not_found(HttpExchange& ex);

}  // namespace spoke
