#pragma once
// DescriptorCache: the one process-wide cache of compiled descriptor sets, keyed by module,
// version spelling and source_info; byte-bounded LRU, thread-safe.
// DescriptorSet: one compiled FileDescriptorSet and the digest of the version it belongs to.

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

struct DescriptorSet {
    std::shared_ptr<const std::string> bytes;  // serialized google.protobuf.FileDescriptorSet
    std::string digest;                        // the version's content digest ("sha256:...")
};
using DescriptorSetPtr = std::shared_ptr<const DescriptorSet>;

// Parts joined with NUL, which no module name or version can contain.
inline std::string descriptor_cache_key(std::string_view module, std::string_view version,
                                        bool source_info) {
    std::string key;
    key.reserve(6 + module.size() + version.size());
    key.append("d", 1).append(1, source_info ? 's' : '-').append(1, '\0').append(module);
    key.append(1, '\0').append(version);
    return key;
}

class DescriptorCache {
  public:
    // `max_bytes` 0 disables the cache; each shard gets an equal share, a larger set is not kept.
    explicit DescriptorCache(size_t max_bytes, size_t shards = 8);
    DescriptorCache(const DescriptorCache&) = delete;
    DescriptorCache& operator=(const DescriptorCache&) = delete;

    // Any thread. `version` as spelled (the stored spelling or the one a request used).
    DescriptorSetPtr find(std::string_view module, std::string_view version, bool source_info);
    void insert(std::string_view module, std::string_view version, bool source_info,
                DescriptorSetPtr set);

    size_t max_bytes() const { return max_bytes_; }
    size_t bytes() const;
    uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

  private:
    struct StringHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct Entry {
        std::string key;
        DescriptorSetPtr value;
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
