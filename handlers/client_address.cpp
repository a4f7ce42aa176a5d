#include "handlers/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "reactor/http_exchange.hpp"

namespace spoke {

namespace {

bool is_trusted(std::string_view address, const std::vector<std::string>& trusted) {
    return std::find(trusted.begin(), trusted.end(), address) != trusted.end();
}

}  // namespace

std::string canonical_address(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return {};
    const std::string s(text);
    char out[INET6_ADDRSTRLEN];
    in6_addr v6{};
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        return inet_ntop(AF_INET, &v4, out, sizeof out) != nullptr ? out : std::string();
    }
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        return inet_ntop(AF_INET6, &v6, out, sizeof out) != nullptr ? out : std::string();
    }
    return {};
}

std::string client_address(std::string_view peer, const std::string_view* forwarded,
                           const std::vector<std::string>& trusted) {
    if (forwarded == nullptr || trusted.empty() || !is_trusted(peer, trusted)) {
        return std::string(peer);
    }
    // Right to left: each trusted proxy appended the address it got the request from; the first
    // address no trusted proxy stands for is the client. Anything unreadable ends the walk there.
    std::string_view rest = *forwarded;
    std::string client(peer);
    while (!rest.empty()) {
        const size_t comma = rest.rfind(',');
        const std::string_view item =
            comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
        std::string address = canonical_address(item);
        if (address.empty()) break;
        client = std::move(address);
        if (!is_trusted(client, trusted)) break;
    }
    return client;
}

std::string client_address(const HttpExchange& ex, const std::vector<std::string>& trusted) {
    const std::string peer = ex.peer_address();
    if (trusted.empty()) return peer;
    const auto forwarded = ex.header("X-Forwarded-For");
    return client_address(peer, forwarded ? &*forwarded : nullptr, trusted);
}

}  // namespace spoke
