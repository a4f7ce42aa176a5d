#pragma once
// Request reading and reply writing shared by the API handlers: JSON bodies, query parameters,
// ETags and cached replies.

#include <jansson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "handlers/json_codec.hpp"
#include "handlers/response_cache.hpp"

namespace spoke {

class HttpExchange;

inline constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";

// Serialize `value` and reply with it as JSON.
void reply_json(HttpExchange& ex, int status, const json_t* value);

// The body of a JSON route as an object; on failure the reply (415 or 400) is already sent.
std::optional<JsonPtr> read_json_body(HttpExchange& ex);
// True if a Content-Type header is absent or names application/json (any parameters).
bool is_json_content_type(std::optional<std::string_view> content_type);

// A strong ETag value, quoted for the header.
std::string quoted_etag(std::string_view tag);
// True if an If-None-Match header value matches `etag` (quoted), "*" included.
bool if_none_match_hits(std::string_view if_none_match, std::string_view etag);
// 304 when the request's If-None-Match matches, else 200 with the cached body (zero-copy).
void reply_cached(HttpExchange& ex, const CachedResponse& response);
// The same for an immutable body that is not a rendered response (e.g. a descriptor set).
void reply_immutable(HttpExchange& ex, std::string_view content_type,
                     std::shared_ptr<const std::string> body, std::string_view etag);

// GET routes: a module name (or version, unless null or "latest") that cannot exist is answered
// 404 here, before any storage call. Returns true when it replied.
bool reply_if_impossible_name(HttpExchange& ex, std::string_view module,
                              std::optional<std::string_view> version);

// Query parameter readers: BadRequest naming the parameter when malformed.
Result<std::optional<uint64_t>> query_uint(const HttpExchange& ex, std::string_view key);
Result<bool> query_bool(const HttpExchange& ex, std::string_view key, bool fallback);

}  // namespace spoke
