#include "services/descriptor_cache.hpp"

namespace spoke {

size_t DescriptorCache::Charge::operator()(std::string_view key, const DescriptorSet& set) const {
    // Bookkeeping: list node, index slot, control blocks; an estimate, but a stable one.
    constexpr size_t kOverhead = 160;
    return key.size() + (set.bytes ? set.bytes->size() : 0) + set.digest.size() + kOverhead;
}

DescriptorCache::DescriptorCache(size_t max_bytes, size_t shards) : sets_(max_bytes, shards) {}

DescriptorSetPtr DescriptorCache::find(std::string_view module, std::string_view version,
                                       SetDetail detail) {
    if (sets_.max_bytes() == 0) return nullptr;
    return sets_.find(descriptor_cache_key(module, version, detail));
}

void DescriptorCache::insert(std::string_view module, std::string_view version, SetDetail detail,
                             DescriptorSetPtr set) {
    sets_.insert(descriptor_cache_key(module, version, detail), std::move(set));
}

}  // namespace spoke
