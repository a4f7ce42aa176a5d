#include "reactor/trace_context.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>

namespace spoke {

namespace {

bool lower_hex_digits(std::string_view s, size_t n) {
    if (s.size() != n) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view s) {
    return s.find_first_not_of('0') == std::string_view::npos;
}

// Random ids from a per-thread splitmix64 seeded by the OS: ids are made on every request, on
// every loop, and need to be unique, not secret. Two hex digits per byte from a table: this was
// most of the ~700 instructions a request's trace context cost with mt19937_64 and a digit loop.
uint64_t next_random() {
    thread_local uint64_t state =
        (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

struct HexPairs {
    std::array<char, 512> digits{};
    constexpr HexPairs() {
        constexpr char kHex[] = "0123456789abcdef";
        for (size_t b = 0; b < 256; ++b) {
            digits[2 * b] = kHex[b >> 4];
            digits[2 * b + 1] = kHex[b & 0xf];
        }
    }
};
constexpr HexPairs kHexPairs;

template <size_t N>
void random_hex(std::array<char, N>& out) {
    static_assert(N % 16 == 0);
    uint64_t any = 0;
    for (size_t i = 0; i < N; i += 16) {
        uint64_t bits = next_random();
        any |= bits;
        for (size_t j = 0; j < 16; j += 2, bits >>= 8) {
            std::memcpy(&out[i + j], &kHexPairs.digits[2 * (bits & 0xff)], 2);
        }
    }
    if (any == 0) out[N - 1] = '1';  // all-zero ids are invalid
}

template <size_t N>
void copy_to(std::array<char, N>& out, std::string_view s) {
    std::copy_n(s.data(), N, out.begin());
}

}  // namespace

bool valid_traceparent(std::string_view h) {
    // version "-" trace-id "-" parent-id "-" flags; a later version may append "-" fields.
    if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return false;
    const std::string_view version = h.substr(0, 2), trace = h.substr(3, 32),
                           parent = h.substr(36, 16), flags = h.substr(53, 2);
    if (!lower_hex_digits(version, 2) || version == "ff") return false;
    if (version == "00" && h.size() != 55) return false;
    if (h.size() > 55 && h[55] != '-') return false;
    return lower_hex_digits(trace, 32) && !all_zero(trace) && lower_hex_digits(parent, 16) &&
           !all_zero(parent) && lower_hex_digits(flags, 2);
}

TraceContext TraceContext::for_request(std::optional<std::string_view> traceparent) {
    TraceContext t;
    if (traceparent && valid_traceparent(*traceparent)) {
        copy_to(t.trace_id_, traceparent->substr(3, 32));
        copy_to(t.parent_, traceparent->substr(36, 16));
        copy_to(t.flags_, traceparent->substr(53, 2));
        t.has_parent_ = true;
    } else {
        random_hex(t.trace_id_);
    }
    random_hex(t.span_id_);
    return t;
}

TraceContext TraceContext::child() const {
    TraceContext c = *this;
    c.parent_ = span_id_;
    c.has_parent_ = true;
    random_hex(c.span_id_);
    return c;
}

std::string TraceContext::traceparent() const {
    std::string out = "00-";
    out.append(trace_id()).append("-").append(span_id()).append("-");
    out.append(flags_.data(), flags_.size());
    return out;
}

}  // namespace spoke
