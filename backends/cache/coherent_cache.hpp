#pragma once
// CoherentCache: the process-wide L1 of mutable registry reads (a module with its versions, what
// "latest" resolves to, pages of the module list), kept coherent across instances by the
// invalidation channel (InvalidationSubscriber). Its rule, stated in docs/architecture.md: an
// entry is served while the channel is subscribed and the entry is younger than `max_age`; while
// the channel is not subscribed, only while it is younger than `stale_bound`. Subscribing and
// losing the subscription both drop every entry: messages sent meanwhile are lost.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "registry/model.hpp"

namespace spoke {

struct CoherentCacheSettings {
    int64_t stale_bound_ms = 1'000;  // SPOKE_CACHE_STALE_BOUND
    int64_t max_age_ms = 60'000;     // bound on a lost message while subscribed
    size_t max_entries = 100'000;    // per kind; past it the kind is emptied
    // With read replicas (0 without): how long after an invalidation that does not say where
    // the write sits in the log its module's reads are not cached. A read on another instance
    // may reach a replica that has not replayed the write yet; cached, that answer would
    // outlive the replica's lag by the entry's whole life. An invalidation that carries the
    // write's position holds the module's reads until the reading loop's replicas have
    // replayed it (pending_position), for at most max_age_ms.
    int64_t replica_hold_ms = 0;
};

class CoherentCache {
  public:
    explicit CoherentCache(CoherentCacheSettings settings) : settings_(settings) {}

    // Any thread. Take before reading storage and hand to put_*: a read that started before an
    // invalidation must not be cached after it (it may hold what the write replaced).
    uint64_t ticket() const { return generation_.load(std::memory_order_acquire); }
    // Taken after ticket(), before the read: the WAL position a read of `module` (null: of the
    // module list) must see to be cached, or 0. A read that starts before the reading loop's
    // replicas have replayed it must not be cached (Storage::reads_see).
    uint64_t pending_position(const std::string* module, int64_t now_ms);

    std::shared_ptr<const ModuleWithVersions> module(const std::string& name, int64_t now_ms);
    void put_module(const std::string& name, std::shared_ptr<const ModuleWithVersions> value,
                    uint64_t ticket, int64_t now_ms);
    std::optional<std::string> latest(const std::string& module, int64_t now_ms);
    void put_latest(const std::string& module, std::string version, uint64_t ticket,
                    int64_t now_ms);
    std::shared_ptr<const ModulePage> page(const std::string& key, int64_t now_ms);
    void put_page(const std::string& key, std::shared_ptr<const ModulePage> value, uint64_t ticket,
                  int64_t now_ms);

    // A write to `module` (its row, versions or level) at WAL `position` (0: unknown): drops
    // it, its latest and every page.
    void invalidate_module(const std::string& module, uint64_t position = 0);
    void invalidate_all();
    // The invalidation channel's state (see the class comment).
    void channel_subscribed();
    void channel_lost();
    bool subscribed() const { return subscribed_.load(std::memory_order_acquire); }

    uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
    uint64_t invalidations() const { return invalidations_.load(std::memory_order_relaxed); }

  private:
    template <class V>
    struct Entry {
        V value;
        int64_t fetched_ms = 0;
    };
    template <class V>
    using Map = std::unordered_map<std::string, Entry<V>>;

    bool fresh(int64_t fetched_ms, int64_t now_ms) const;
    template <class V>
    std::optional<V> find(Map<V>& map, const std::string& key, int64_t now_ms);
    template <class V>
    void put(Map<V>& map, const std::string& key, V value, uint64_t ticket, int64_t now_ms,
             const std::string* module);
    // Under mutex_: whether a read of `module` (null: of the list) may be cached now, as far
    // as invalidations of unknown position go.
    bool past_hold(const std::string* module, int64_t now_ms);
    void note_invalidation(const std::string* module, uint64_t position);  // under mutex_

    const CoherentCacheSettings settings_;
    std::atomic<bool> subscribed_{false};
    std::atomic<uint64_t> generation_{0};  // bumped by every invalidation, under mutex_
    std::atomic<uint64_t> hits_{0};
    std::atomic<uint64_t> misses_{0};
    std::atomic<uint64_t> invalidations_{0};
    std::mutex mutex_;
    Map<std::shared_ptr<const ModuleWithVersions>> modules_;  // guarded by mutex_
    Map<std::string> latest_;                                 // guarded by mutex_
    Map<std::shared_ptr<const ModulePage>> pages_;            // guarded by mutex_
    // replica_hold_ms > 0 only, guarded by mutex_: when a module (or, for the module list, any
    // module) was last invalidated without a position, and with one (monotonic ms), and the
    // highest position heard.
    struct Hold {
        int64_t unknown_ms = INT64_MIN / 2;
        int64_t known_ms = INT64_MIN / 2;
        uint64_t position = 0;
        void note(int64_t now_ms, uint64_t at_position);
    };
    std::unordered_map<std::string, Hold> holds_;
    Hold any_;
    int64_t all_invalidated_ms_ = INT64_MIN / 2;
};

}  // namespace spoke
