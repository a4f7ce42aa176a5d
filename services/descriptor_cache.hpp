#pragma once
// DescriptorCache: the one process-wide cache of compiled descriptor sets, keyed by module,
// version spelling and SetDetail; byte-bounded LRU, thread-safe.
// DescriptorSet: one compiled FileDescriptorSet and the digest of the version it belongs to.
// SetDetail: how much source info a set carries.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/sharded_lru_cache.hpp"

namespace spoke {

struct DescriptorSet {
    std::shared_ptr<const std::string> bytes;  // serialized google.protobuf.FileDescriptorSet
    std::string digest;                        // the version's content digest ("sha256:...")
};
using DescriptorSetPtr = std::shared_ptr<const DescriptorSet>;

enum class SetDetail : char {
    Plain = '-',       // no source info
    SourceInfo = 's',  // on the version's and its dependencies' files, not on the well-known
                       // types: what compiles give, and lint and compatibility checks read
    Served = 'w',      // on every file, the well-known types too: what ?source_info=true serves
};

// Parts joined with NUL, which no module name or version can contain.
inline std::string descriptor_cache_key(std::string_view module, std::string_view version,
                                        SetDetail detail) {
    std::string key;
    key.reserve(6 + module.size() + version.size());
    key.append("d", 1).append(1, static_cast<char>(detail)).append(1, '\0').append(module);
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
    DescriptorSetPtr find(std::string_view module, std::string_view version, SetDetail detail);
    void insert(std::string_view module, std::string_view version, SetDetail detail,
                DescriptorSetPtr set);

    size_t max_bytes() const { return sets_.max_bytes(); }
    size_t bytes() const { return sets_.bytes(); }
    uint64_t hits() const { return sets_.hits(); }
    uint64_t misses() const { return sets_.misses(); }

  private:
    struct Charge {
        size_t operator()(std::string_view key, const DescriptorSet& set) const;
    };
    ShardedLruCache<DescriptorSet, Charge> sets_;
};

}  // namespace spoke
