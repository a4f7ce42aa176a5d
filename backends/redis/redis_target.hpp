#pragma once
// RedisTarget: where SPOKE_REDIS_URL says Redis is, a standalone server or a Sentinel-watched
// master, plus what every connection sends first (AUTH, SELECT).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace spoke {

// A host name or numeric address and a port, as written in the URL.
struct RedisAddress {
    std::string host;
    uint16_t port = 6379;
    bool operator==(const RedisAddress&) const = default;
};

struct RedisTarget {
    // Standalone: the one server. Sentinel: the sentinels to ask, in the order given.
    std::vector<RedisAddress> addresses;
    std::string master_name;  // non-empty: addresses are sentinels watching this master
    std::string password;     // AUTH before anything else when non-empty
    unsigned db = 0;          // SELECT when non-zero

    bool sentinel() const { return !master_name.empty(); }
};

// Accepts the shapes users already have:
//   redis://[:password@]host[:port][/db]
//   redis-sentinel://[:password@]h1:26379,h2:26379/master-name[/db]
//   redis://master-name@h1:26379,h2:26379/master/master-name   (the original Spoke's Sentinel URL)
// A password in the URL is overridden by SPOKE_REDIS_PASSWORD, a db by SPOKE_REDIS_DB (the
// caller applies those).
Result<RedisTarget> parse_redis_url(std::string_view url);

}  // namespace spoke
