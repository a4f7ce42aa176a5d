#pragma once
// TokenCache: API token records by secret hash, shared by every loop of the process, each kept
// for a fixed lifetime. That lifetime is the bound on how long another instance's revocation
// takes to be enforced here (a revocation through this instance drops its entry at once).

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "registry/api_token.hpp"

namespace spoke {

class TokenCache {
  public:
    TokenCache(std::chrono::milliseconds ttl, size_t max_entries)
        : ttl_ms_(ttl.count()), max_entries_(max_entries) {}

    // The record if cached and younger than the lifetime (null otherwise). `now_ms` is
    // monotonic. Shared, not copied: every authenticated request of a token asks for it.
    std::shared_ptr<const ApiToken> get(const std::string& secret_hash, int64_t now_ms) const;
    // Take before a storage lookup and hand to put(): a record read before a revocation on this
    // instance completed (forget()) must not be cached after it, or the revoked token would
    // work here for another lifetime.
    uint64_t generation() const;
    // Caches `token` unless forget() ran since `generation` was taken.
    void put(const ApiToken& token, int64_t now_ms, uint64_t generation);
    void forget(const std::string& secret_hash);
    // Another instance revoked or changed a token (the invalidation channel says which did not
    // matter): every record is read again.
    void forget_all();

  private:
    struct Entry {
        std::shared_ptr<const ApiToken> token;
        int64_t fetched_ms = 0;
    };
    const int64_t ttl_ms_;
    const size_t max_entries_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
    uint64_t forgets_ = 0;                            // guarded by mutex_
};

}  // namespace spoke
