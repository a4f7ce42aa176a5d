#include "handlers/response_cache.hpp"

namespace spoke {

size_t CachedResponseCharge::operator()(std::string_view key, const CachedResponse& value) const {
    // Bookkeeping: list node, index slot, control blocks; an estimate, but a stable one.
    constexpr size_t kOverhead = 160;
    return key.size() + (value.body ? value.body->size() : 0) + value.content_type.size() +
           value.etag.size() + kOverhead;
}

}  // namespace spoke
