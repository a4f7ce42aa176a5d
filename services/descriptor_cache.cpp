#include "services/descriptor_cache.hpp"

namespace spoke {
namespace {

// Bookkeeping: list node, index slot, control blocks; an estimate, but a stable one.
constexpr size_t kOverhead = 160;

size_t charge(std::string_view key, const DescriptorSet& set) {
    return key.size() + (set.bytes ? set.bytes->size() : 0) + set.digest.size() + kOverhead;
}

}  // namespace

DescriptorCache::DescriptorCache(size_t max_bytes, size_t shards)
    : max_bytes_(max_bytes), shard_budget_(max_bytes / (shards == 0 ? 1 : shards)) {
    if (shards == 0) shards = 1;
    shards_.reserve(shards);
    for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

DescriptorCache::Shard& DescriptorCache::shard_for(std::string_view key) {
    return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

DescriptorSetPtr DescriptorCache::find(std::string_view module, std::string_view version,
                                       bool source_info) {
    if (max_bytes_ == 0) return nullptr;
    const std::string key = descriptor_cache_key(module, version, source_info);
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(std::string_view(key));
    if (it == s.index.end()) {
        misses_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second->value;
}

void DescriptorCache::insert(std::string_view module, std::string_view version, bool source_info,
                             DescriptorSetPtr set) {
    if (max_bytes_ == 0 || !set) return;
    std::string key = descriptor_cache_key(module, version, source_info);
    const size_t cost = charge(key, *set);
    if (cost > shard_budget_) return;
    Shard& s = shard_for(key);
    // Whatever is evicted is released outside the lock: freeing large sets can take a while.
    std::list<Entry> evicted;
    {
        std::lock_guard lock(s.mutex);
        if (auto it = s.index.find(std::string_view(key)); it != s.index.end()) {
            s.bytes -= it->second->charge;
            auto node = it->second;
            s.index.erase(it);
            evicted.splice(evicted.end(), s.lru, node);
        }
        while (s.bytes + cost > shard_budget_ && !s.lru.empty()) {
            auto victim = std::prev(s.lru.end());
            s.bytes -= victim->charge;
            s.index.erase(std::string_view(victim->key));
            evicted.splice(evicted.end(), s.lru, victim);
        }
        s.lru.push_front(Entry{std::move(key), std::move(set), cost});
        s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
        s.bytes += cost;
    }
}

size_t DescriptorCache::bytes() const {
    size_t total = 0;
    for (const auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        total += shard->bytes;
    }
    return total;
}

}  // namespace spoke
