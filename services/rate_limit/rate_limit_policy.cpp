#include "services/rate_limit/rate_limit_policy.hpp"

#include <charconv>
#include <cmath>

namespace spoke {

namespace {

std::optional<uint64_t> number(std::string_view text) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

}  // namespace

std::optional<RateLimit> parse_rate_limit(const std::string& text) {
    if (text == "0") return RateLimit{};
    std::string_view rest = text;
    std::optional<uint64_t> burst;
    if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
        burst = number(rest.substr(colon + 1));
        if (!burst || *burst == 0) return std::nullopt;
        rest = rest.substr(0, colon);
    }
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto count = number(rest.substr(0, slash));
    const std::string_view unit = rest.substr(slash + 1);
    const double seconds = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
    if (!count || seconds == 0) return std::nullopt;
    if (*count == 0) return RateLimit{};
    RateLimit limit;
    limit.per_second = static_cast<double>(*count) / seconds;
    // Default burst: one period's worth (100/s allows 100 at once), at least 1.
    limit.burst =
        burst ? static_cast<double>(*burst) : std::max<double>(1, static_cast<double>(*count));
    return limit;
}

std::string format_rate_limit(const RateLimit& limit) {
    if (!limit.enabled()) return "0";
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%g/s:%g", limit.per_second, limit.burst);
    return buf;
}

}  // namespace spoke
