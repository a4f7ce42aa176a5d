#include "services/auth/token_cache.hpp"

namespace spoke {

std::shared_ptr<const ApiToken> TokenCache::get(const std::string& secret_hash,
                                                int64_t now_ms) const {
    if (ttl_ms_ <= 0) return nullptr;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(secret_hash);
    if (it == entries_.end() || now_ms - it->second.fetched_ms >= ttl_ms_) return nullptr;
    return it->second.token;
}

uint64_t TokenCache::generation() const {
    std::lock_guard lock(mutex_);
    return forgets_;
}

void TokenCache::put(const ApiToken& token, int64_t now_ms, uint64_t generation) {
    if (ttl_ms_ <= 0) return;
    std::lock_guard lock(mutex_);
    if (generation != forgets_) return;
    if (entries_.size() >= max_entries_) {
        // Expired entries first; if every entry is fresh, start over: a miss costs one lookup.
        std::erase_if(entries_,
                      [&](const auto& e) { return now_ms - e.second.fetched_ms >= ttl_ms_; });
        if (entries_.size() >= max_entries_) entries_.clear();
    }
    entries_[token.secret_hash] = Entry{std::make_shared<const ApiToken>(token), now_ms};
}

void TokenCache::forget(const std::string& secret_hash) {
    std::lock_guard lock(mutex_);
    entries_.erase(secret_hash);
    ++forgets_;
}

void TokenCache::forget_all() {
    std::lock_guard lock(mutex_);
    entries_.clear();
    ++forgets_;
}

}  // namespace spoke
