#pragma once
// ResponseCache: process-wide, thread-safe, byte-bounded LRU of rendered immutable responses.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/sharded_lru_cache.hpp"

namespace spoke {

// CachedResponse: one rendered body with what a reply needs besides the status (always 200).
struct CachedResponse {
    std::shared_ptr<const std::string> body;
    std::string content_type;
    std::string etag;  // quoted, ready for the ETag header: "\"sha256:...\""
};
using CachedResponsePtr = std::shared_ptr<const CachedResponse>;

// What an entry counts against the budget: key, body, headers and bookkeeping.
struct CachedResponseCharge {
    size_t operator()(std::string_view key, const CachedResponse& value) const;
};

class ResponseCache : public ShardedLruCache<CachedResponse, CachedResponseCharge> {
  public:
    explicit ResponseCache(size_t max_bytes, size_t shards = 16)
        : ShardedLruCache(max_bytes, shards) {}

    static size_t charge(std::string_view key, const CachedResponse& value) {
        return CachedResponseCharge{}(key, value);
    }
};

}  // namespace spoke
