#pragma once
// SharedCache: the L2 every instance shares (Redis), for immutable values only: a key's value
// never changes once written, so no invalidation is needed and a lost write costs a later miss.
// Failing open is part of the contract: any trouble is a miss, never an error.

#include <optional>
#include <string>

#include "reactor/callback.hpp"

namespace spoke {

class SharedCache {
  public:
    virtual ~SharedCache() = default;
    // `done` runs later on the loop, exactly once: the value, or nullopt for a miss (also when
    // the cache is down, slow or answers garbage).
    virtual void get(const std::string& key, Callback<void(std::optional<std::string>)> done) = 0;
    // Fire and forget.
    virtual void put(const std::string& key, std::string value) = 0;
};

}  // namespace spoke
