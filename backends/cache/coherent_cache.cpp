#include "backends/cache/coherent_cache.hpp"

#include <algorithm>

#include "common/clock.hpp"

namespace spoke {

bool CoherentCache::fresh(int64_t fetched_ms, int64_t now_ms) const {
    const int64_t bound = subscribed() ? settings_.max_age_ms : settings_.stale_bound_ms;
    return now_ms - fetched_ms <= bound;
}

template <class V>
std::optional<V> CoherentCache::find(Map<V>& map, const std::string& key, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto it = map.find(key);
    if (it == map.end() || !fresh(it->second.fetched_ms, now_ms)) {
        if (it != map.end()) map.erase(it);
        misses_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second.value;
}

bool CoherentCache::past_hold(const std::string* module, int64_t now_ms) {
    const int64_t hold = settings_.replica_hold_ms;
    if (hold == 0) return true;
    if (now_ms - all_invalidated_ms_ < hold) return false;
    if (module == nullptr) return now_ms - any_.unknown_ms >= hold;
    auto it = holds_.find(*module);
    return it == holds_.end() || now_ms - it->second.unknown_ms >= hold;
}

uint64_t CoherentCache::pending_position(const std::string* module, int64_t now_ms) {
    if (settings_.replica_hold_ms == 0) return 0;
    std::lock_guard lock(mutex_);
    // Past max_age a replica that has still not replayed the write is far beyond any lag bound.
    auto pending = [&](const Hold& h) {
        return now_ms - h.known_ms < settings_.max_age_ms ? h.position : 0;
    };
    if (module == nullptr) return pending(any_);
    auto it = holds_.find(*module);
    return it == holds_.end() ? 0 : pending(it->second);
}

void CoherentCache::Hold::note(int64_t now_ms, uint64_t at_position) {
    if (at_position == 0) {
        unknown_ms = now_ms;
        return;
    }
    known_ms = now_ms;
    position = std::max(position, at_position);  // a later write of the module is further on
}

void CoherentCache::note_invalidation(const std::string* module, uint64_t position) {
    generation_.fetch_add(1, std::memory_order_release);
    invalidations_.fetch_add(1, std::memory_order_relaxed);
    if (settings_.replica_hold_ms == 0) return;
    const int64_t now = monotonic_ms();
    any_.note(now, position);
    if (module == nullptr) {
        all_invalidated_ms_ = now;
        return;
    }
    if (holds_.size() >= settings_.max_entries) {
        const int64_t life = std::max(settings_.replica_hold_ms, settings_.max_age_ms);
        std::erase_if(holds_, [&](const auto& e) {
            return now - std::max(e.second.unknown_ms, e.second.known_ms) >= life;
        });
    }
    holds_[*module].note(now, position);
}

template <class V>
void CoherentCache::put(Map<V>& map, const std::string& key, V value, uint64_t ticket,
                        int64_t now_ms, const std::string* module) {
    std::lock_guard lock(mutex_);
    if (ticket != generation_.load(std::memory_order_relaxed)) return;
    if (!past_hold(module, now_ms)) return;
    if (map.size() >= settings_.max_entries) map.clear();
    map[key] = Entry<V>{std::move(value), now_ms};
}

std::shared_ptr<const ModuleWithVersions> CoherentCache::module(const std::string& name,
                                                                int64_t now_ms) {
    auto found = find(modules_, name, now_ms);
    return found ? *found : nullptr;
}

void CoherentCache::put_module(const std::string& name,
                               std::shared_ptr<const ModuleWithVersions> value, uint64_t ticket,
                               int64_t now_ms) {
    put(modules_, name, std::move(value), ticket, now_ms, &name);
}

std::optional<std::string> CoherentCache::latest(const std::string& module, int64_t now_ms) {
    return find(latest_, module, now_ms);
}

void CoherentCache::put_latest(const std::string& module, std::string version, uint64_t ticket,
                               int64_t now_ms) {
    put(latest_, module, std::move(version), ticket, now_ms, &module);
}

std::shared_ptr<const ModulePage> CoherentCache::page(const std::string& key, int64_t now_ms) {
    auto found = find(pages_, key, now_ms);
    return found ? *found : nullptr;
}

void CoherentCache::put_page(const std::string& key, std::shared_ptr<const ModulePage> value,
                             uint64_t ticket, int64_t now_ms) {
    put(pages_, key, std::move(value), ticket, now_ms, nullptr);
}

void CoherentCache::invalidate_module(const std::string& module, uint64_t position) {
    std::lock_guard lock(mutex_);
    note_invalidation(&module, position);
    modules_.erase(module);
    latest_.erase(module);
    pages_.clear();  // a page shows counts, latest versions and times of its modules
}

void CoherentCache::invalidate_all() {
    std::lock_guard lock(mutex_);
    note_invalidation(nullptr, 0);
    modules_.clear();
    latest_.clear();
    pages_.clear();
}

void CoherentCache::channel_subscribed() {
    invalidate_all();
    subscribed_.store(true, std::memory_order_release);
}

void CoherentCache::channel_lost() {
    subscribed_.store(false, std::memory_order_release);
    invalidate_all();
}

}  // namespace spoke
