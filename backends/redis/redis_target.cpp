#include "backends/redis/redis_target.hpp"

#include <charconv>

namespace spoke {

namespace {

Error bad(std::string what) {
    return Error::bad_request("SPOKE_REDIS_URL: " + std::move(what));
}

bool parse_number(std::string_view text, unsigned long max, unsigned long& out) {
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && out <= max;
}

// "h1:26379,h2" -> addresses; a host without a port gets `default_port`. IPv6 needs brackets.
Result<std::vector<RedisAddress>> parse_hosts(std::string_view list, uint16_t default_port) {
    std::vector<RedisAddress> out;
    while (!list.empty()) {
        const size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        RedisAddress address;
        address.port = default_port;
        std::string_view port_text;
        if (!item.empty() && item.front() == '[') {
            const size_t close = item.find(']');
            if (close == std::string_view::npos) return bad("unclosed '[' in a host");
            address.host = std::string(item.substr(1, close - 1));
            std::string_view rest = item.substr(close + 1);
            if (!rest.empty()) {
                if (rest.front() != ':') return bad("junk after ']' in a host");
                port_text = rest.substr(1);
            }
        } else {
            const size_t colon = item.rfind(':');
            address.host = std::string(item.substr(0, colon));
            if (colon != std::string_view::npos) port_text = item.substr(colon + 1);
        }
        if (address.host.empty()) return bad("a host is empty");
        if (address.host.find_first_of("/?#@ ") != std::string::npos) {
            return bad("host '" + address.host + "' has a character hosts cannot have");
        }
        if (!port_text.empty() ||
            (item.find(':') != std::string_view::npos && item.front() != '[')) {
            unsigned long port = 0;
            if (!parse_number(port_text, 65535, port) || port == 0) {
                return bad("port '" + std::string(port_text) + "' is not 1-65535");
            }
            address.port = static_cast<uint16_t>(port);
        }
        out.push_back(std::move(address));
    }
    if (out.empty()) return bad("no host");
    return out;
}

}  // namespace

Result<RedisTarget> parse_redis_url(std::string_view url) {
    RedisTarget target;
    bool sentinel_scheme = false;
    if (url.starts_with("redis://")) {
        url.remove_prefix(8);
    } else if (url.starts_with("redis-sentinel://")) {
        url.remove_prefix(17);
        sentinel_scheme = true;
    } else {
        return bad("must start with redis:// or redis-sentinel://");
    }
    // The original Spoke wrote the master's name as the user part; a ":password" is a password.
    std::string user;
    if (const size_t at = url.rfind('@', url.find('/')); at != std::string_view::npos) {
        std::string_view userinfo = url.substr(0, at);
        url.remove_prefix(at + 1);
        const size_t colon = userinfo.find(':');
        user = std::string(userinfo.substr(0, colon));
        if (colon != std::string_view::npos)
            target.password = std::string(userinfo.substr(colon + 1));
    }
    const size_t slash = url.find('/');
    std::string_view hosts = url.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view() : url.substr(slash + 1);
    if (path.find_first_of("?#") != std::string_view::npos)
        return bad("query strings are not supported");

    std::vector<std::string_view> segments;
    while (!path.empty()) {
        const size_t next = path.find('/');
        segments.push_back(path.substr(0, next));
        path = next == std::string_view::npos ? std::string_view() : path.substr(next + 1);
    }
    auto parse_db = [&](std::string_view text) -> Status {
        unsigned long db = 0;
        if (!parse_number(text, 15, db))
            return bad("database '" + std::string(text) + "' is not 0-15");
        target.db = static_cast<unsigned>(db);
        return Unit{};
    };
    if (sentinel_scheme) {
        if (segments.empty() || segments[0].empty())
            return bad(
                "a Sentinel URL must name the master: "
                "redis-sentinel://h1:26379,h2:26379/master-name");
        target.master_name = std::string(segments[0]);
        if (segments.size() > 2) return bad("too many path segments");
        if (segments.size() == 2) {
            if (Status s = parse_db(segments[1]); !s) return s.error();
        }
    } else if (!segments.empty() && segments[0] == "master") {
        if (segments.size() != 2 || segments[1].empty()) return bad("expected /master/<name>");
        target.master_name = std::string(segments[1]);
        if (!user.empty() && user != target.master_name) {
            return bad("the master is named both '" + user + "' and '" + target.master_name + "'");
        }
    } else {
        if (segments.size() > 1) return bad("too many path segments");
        if (segments.size() == 1 && !segments[0].empty()) {
            if (Status s = parse_db(segments[0]); !s) return s.error();
        }
    }
    auto addresses = parse_hosts(hosts, target.sentinel() ? 26379 : 6379);
    if (!addresses) return addresses.error();
    target.addresses = std::move(*addresses);
    if (!target.sentinel() && target.addresses.size() > 1) {
        return bad("several hosts need a Sentinel URL (redis-sentinel://h1,h2/master-name)");
    }
    return target;
}

}  // namespace spoke
