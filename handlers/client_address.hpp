#pragma once
// The address a request comes from, for the failed-authentication limiter and the audit log:
// the connection's peer, or — when the peer is a proxy we trust (SPOKE_TRUSTED_PROXIES, e.g. the
// local NGINX) — the nearest untrusted address in its X-Forwarded-For.

#include <string>
#include <string_view>
#include <vector>

namespace spoke {

class HttpExchange;

// `trusted` holds numeric addresses as inet_ntop writes them.
std::string client_address(const HttpExchange& ex, const std::vector<std::string>& trusted);

// A numeric IPv4/IPv6 address in the text inet_ntop writes (surrounding blanks ignored), or
// empty when `text` is not one.
std::string canonical_address(std::string_view text);

// The same from its parts (for tests): `forwarded` is the X-Forwarded-For value, if any.
std::string client_address(std::string_view peer, const std::string_view* forwarded,
                           const std::vector<std::string>& trusted);

}  // namespace spoke
