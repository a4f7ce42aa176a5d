#pragma once
// ResponseCache: process-wide, thread-safe, byte-bounded LRU of rendered immutable responses.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spoke {

// CachedResponse: one rendered body with what a reply needs besides the status (always 200).
struct CachedResponse {
    std::shared_ptr<const std::string> body;
    std::string content_type;
    std::string etag;  // quoted, ready for the ETag header: "\"sha256:...\""
};
using CachedResponsePtr = std::shared_ptr<const CachedResponse>;

class ResponseCache {
  public:
    // `max_bytes` 0 disables the cache. Each of `shards` shards gets an equal share of the budget;
    // an entry larger than one share is never stored.
    explicit ResponseCache(size_t max_bytes, size_t shards = 16);
    ResponseCache(const ResponseCache&) = delete;
    ResponseCache& operator=(const ResponseCache&) = delete;

    // Any thread. Marks the entry most recently used.
    CachedResponsePtr find(std::string_view key);
    // Any thread. Replaces an entry of the same key; evicts least recently used entries of the
    // shard until it fits.
    void insert(std::string key, CachedResponsePtr value);
    void clear();

    size_t max_bytes() const { return max_bytes_; }
    size_t bytes() const;  // charged bytes of all entries
    size_t entries() const;
    uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

    // What an entry counts against the budget: key, body, headers and bookkeeping.
    static size_t charge(std::string_view key, const CachedResponse& value);

  private:
    struct StringHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct Entry {
        std::string key;
        CachedResponsePtr value;
        size_t charge = 0;
    };
    struct Shard {
        mutable std::mutex mutex;
        std::list<Entry> lru;  // front: most recently used
        std::unordered_map<std::string_view, std::list<Entry>::iterator, StringHash,
                           std::equal_to<>>
            index;  // keys view Entry::key (list nodes never move)
        size_t bytes = 0;
    };
    Shard& shard_for(std::string_view key);

    size_t max_bytes_;
    size_t shard_budget_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::atomic<uint64_t> hits_{0};
    std::atomic<uint64_t> misses_{0};
};

}  // namespace spoke
