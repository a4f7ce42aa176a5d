#include "backends/snapshot_cache.hpp"

namespace spoke {

VersionSnapshotPtr SnapshotCache::get(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->snapshot;
}

void SnapshotCache::put(const std::string& key, VersionSnapshotPtr snapshot) {
    if (!snapshot) return;
    size_t c = cost(*snapshot);
    if (c > capacity_) return;
    std::lock_guard lock(mutex_);
    if (auto it = by_key_.find(key); it != by_key_.end()) {
        bytes_ -= it->second->cost;
        lru_.erase(it->second);
        by_key_.erase(it);
    }
    while (bytes_ + c > capacity_ && !lru_.empty()) {
        bytes_ -= lru_.back().cost;
        by_key_.erase(lru_.back().key);
        lru_.pop_back();
    }
    lru_.push_front(Entry{key, std::move(snapshot), c});
    by_key_.emplace(key, lru_.begin());
    bytes_ += c;
}

size_t SnapshotCache::size_bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

size_t SnapshotCache::entries() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}

size_t SnapshotCache::cost(const VersionSnapshot& snapshot) {
    constexpr size_t kPerFile = 128;
    constexpr size_t kPerSnapshot = 512;
    size_t total = kPerSnapshot;
    for (const auto& f : snapshot.files) total += f.content.size() + 2 * f.path.size() + kPerFile;
    for (const auto& d : snapshot.record.dependencies) total += d.size() + 32;
    return total;
}

}  // namespace spoke
