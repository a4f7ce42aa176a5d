#include "reactor/percent_encoding.hpp"

namespace spoke {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes `s`; `plus_is_space` for query components (HTML form encoding, as clients send them).
std::optional<std::string> decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') return std::nullopt;
        out.push_back(c);
    }
    return out;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
    return decode(s, false);
}

std::optional<size_t> find_bad_escape(std::string_view s) {
    for (size_t i = s.find('%'); i != std::string_view::npos; i = s.find('%', i + 1)) {
        if (i + 2 >= s.size()) return i;
        const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return i;
    }
    return std::nullopt;
}

std::optional<std::string> query_param(std::string_view raw_query, std::string_view key) {
    size_t start = 0;
    while (start <= raw_query.size()) {
        size_t end = raw_query.find('&', start);
        if (end == std::string_view::npos) end = raw_query.size();
        const std::string_view pair = raw_query.substr(start, end - start);
        const size_t eq = pair.find('=');
        const std::string_view name = pair.substr(0, eq);
        const std::string_view value =
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        // Names are compared decoded only when they need it: the common case allocates nothing.
        const bool match = name.find_first_of("%+") == std::string_view::npos
                               ? name == key
                               : decode(name, true) == std::optional<std::string>(key);
        if (match) return decode(value, true);
        start = end + 1;
    }
    return std::nullopt;
}

std::string percent_encode(std::string_view s) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        const bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
                                (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' ||
                                b == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kDigits[b >> 4]);
            out.push_back(kDigits[b & 0x0f]);
        }
    }
    return out;
}

}  // namespace spoke
