#pragma once
// SnapshotCache: thread-safe least-recently-used version snapshots, bounded by their size in bytes.

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "registry/model.hpp"

namespace spoke {

class SnapshotCache {
  public:
    // 0 disables caching.
    explicit SnapshotCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

    // Null on a miss; a hit becomes the most recently used.
    VersionSnapshotPtr get(const std::string& key);
    // Inserts or refreshes; evicts the least recently used until it fits. A snapshot larger than
    // the whole capacity is not cached.
    void put(const std::string& key, VersionSnapshotPtr snapshot);

    size_t size_bytes() const;
    size_t entries() const;
    // Bytes charged for one snapshot: contents and paths plus a fixed overhead per file.
    static size_t cost(const VersionSnapshot& snapshot);

  private:
    struct Entry {
        std::string key;
        VersionSnapshotPtr snapshot;
        size_t cost;
    };
    using List = std::list<Entry>;

    mutable std::mutex mutex_;
    const size_t capacity_;
    size_t bytes_ = 0;  // guarded by mutex_
    List lru_;          // most recent first; guarded by mutex_
    std::unordered_map<std::string, List::iterator> by_key_;  // guarded by mutex_
};

}  // namespace spoke
