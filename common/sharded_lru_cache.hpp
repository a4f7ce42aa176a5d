#pragma once
// ShardedLruCache<T, Charge>: a process-wide, thread-safe, byte-bounded LRU of immutable values
// (shared_ptr<const T>) by string key, split into shards with a mutex each so that the loops
// rarely contend. `Charge{}(key, value)` says what an entry counts against the budget. The rendered
// responses of handlers/ and the descriptor sets of services/ are both one of these.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace spoke {

template <class T, class Charge>
class ShardedLruCache {
  public:
    using Ptr = std::shared_ptr<const T>;

    // `max_bytes` 0 disables the cache. Each of `shards` shards gets an equal share of the budget;
    // an entry larger than one share is never stored.
    ShardedLruCache(size_t max_bytes, size_t shards)
        : max_bytes_(max_bytes), shard_budget_(max_bytes / (shards == 0 ? 1 : shards)) {
        if (shards == 0) shards = 1;
        shards_.reserve(shards);
        for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
    }
    ShardedLruCache(const ShardedLruCache&) = delete;
    ShardedLruCache& operator=(const ShardedLruCache&) = delete;

    // Any thread. Marks the entry most recently used.
    Ptr find(std::string_view key) {
        if (max_bytes_ == 0) return nullptr;
        Shard& s = shard_for(key);
        std::lock_guard lock(s.mutex);
        auto it = s.index.find(key);
        if (it == s.index.end()) {
            misses_.fetch_add(1, std::memory_order_relaxed);
            return nullptr;
        }
        s.lru.splice(s.lru.begin(), s.lru, it->second);
        hits_.fetch_add(1, std::memory_order_relaxed);
        return it->second->value;
    }

    // Any thread. Replaces an entry of the same key; evicts least recently used entries of the
    // shard until it fits.
    void insert(std::string key, Ptr value) {
        if (max_bytes_ == 0 || !value) return;
        const size_t cost = Charge{}(key, *value);
        if (cost > shard_budget_) return;
        Shard& s = shard_for(key);
        // Whatever is evicted is released outside the lock: freeing large values takes a while.
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
            s.lru.push_front(Entry{std::move(key), std::move(value), cost});
            s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
            s.bytes += cost;
        }
    }

    // Any thread. Drops the entry of `key`, if any.
    void erase(std::string_view key) {
        if (max_bytes_ == 0) return;
        Shard& s = shard_for(key);
        std::list<Entry> dropped;
        std::lock_guard lock(s.mutex);
        auto it = s.index.find(key);
        if (it == s.index.end()) return;
        s.bytes -= it->second->charge;
        auto node = it->second;
        s.index.erase(it);
        dropped.splice(dropped.end(), s.lru, node);
    }

    void clear() {
        for (auto& shard : shards_) {
            std::list<Entry> dropped;
            std::lock_guard lock(shard->mutex);
            shard->index.clear();
            dropped.swap(shard->lru);
            shard->bytes = 0;
        }
    }

    size_t max_bytes() const { return max_bytes_; }
    // Charged bytes of all entries.
    size_t bytes() const {
        return sum([](const Shard& s) { return s.bytes; });
    }
    size_t entries() const {
        return sum([](const Shard& s) { return s.lru.size(); });
    }
    uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

  private:
    struct StringHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct Entry {
        std::string key;
        Ptr value;
        size_t charge = 0;
    };
    struct Shard {
        mutable std::mutex mutex;
        std::list<Entry> lru;  // front: most recently used
        std::unordered_map<std::string_view, typename std::list<Entry>::iterator, StringHash,
                           std::equal_to<>>
            index;  // keys view Entry::key (list nodes never move)
        size_t bytes = 0;
    };

    Shard& shard_for(std::string_view key) {
        return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
    }
    template <class F>
    size_t sum(F of) const {
        size_t total = 0;
        for (const auto& shard : shards_) {
            std::lock_guard lock(shard->mutex);
            total += of(*shard);
        }
        return total;
    }

    size_t max_bytes_;
    size_t shard_budget_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::atomic<uint64_t> hits_{0};
    std::atomic<uint64_t> misses_{0};
};

}  // namespace spoke
