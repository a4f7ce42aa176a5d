#include "reactor/request_id.hpp"

#include <atomic>
#include <cstdint>
#include <random>

namespace spoke {

bool acceptable_request_id(std::string_view v) {
    if (v.empty() || v.size() > 128) return false;
    for (char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
}

// Formatted by hand: snprintf showed up in the hot-path profile.
std::string generate_request_id() {
    static const uint32_t prefix = std::random_device{}();
    static std::atomic<uint64_t> counter{0};
    static constexpr char kHex[] = "0123456789abcdef";
    const uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
    std::string id(20, '0');
    for (int i = 0; i < 8; ++i) id[i] = kHex[(prefix >> (28 - 4 * i)) & 0xf];
    for (int i = 0; i < 12; ++i) id[8 + i] = kHex[(n >> (44 - 4 * i)) & 0xf];
    return id;
}

}  // namespace spoke
