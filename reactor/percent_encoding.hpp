#pragma once
// Percent-encoding of request targets (RFC 3986 §2.1): decoding path segments and query
// parameters, finding the escapes the HTTP layer refuses (malformed, or a decoded NUL), and
// encoding a value for a URL the server writes (a Link header's).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace spoke {

// Percent-decodes one path segment; nullopt on bad escapes or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view s);
// Offset of the first '%' that is not followed by two hex digits or that encodes NUL.
std::optional<size_t> find_bad_escape(std::string_view s);
// The decoded value of the first `key` parameter of a raw query ("a=1&b=x%20y"; '+' is a
// space), or nullopt when absent or badly encoded.
std::optional<std::string> query_param(std::string_view raw_query, std::string_view key);
// `s` with every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) as %XX: safe as a query
// parameter's value or a path segment.
std::string percent_encode(std::string_view s);

}  // namespace spoke
