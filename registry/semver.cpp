#include "registry/semver.hpp"

#include <algorithm>
#include <charconv>

namespace spoke {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_ident_char(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}
bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), is_digit);
}

// A numeric core part: digits only, no leading zero, fits in 64 bits.
std::optional<uint64_t> parse_number(std::string_view s) {
    if (s.empty() || !all_digits(s) || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

// Splits on '.', requiring each identifier to be non-empty and [0-9A-Za-z-].
std::optional<std::vector<std::string>> split_identifiers(std::string_view s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        const size_t dot = s.find('.', start);
        const std::string_view id =
            s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (id.empty() || !std::all_of(id.begin(), id.end(), is_ident_char)) return std::nullopt;
        out.emplace_back(id);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return out;
}

int compare_identifier(const std::string& a, const std::string& b) {
    const bool an = all_digits(a), bn = all_digits(b);
    if (an && bn) {
        // No leading zeros, so longer means larger; compare digit strings to avoid overflow.
        if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
        return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
    }
    if (an) return -1;  // numeric identifiers have lower precedence than alphanumeric ones
    if (bn) return 1;
    const int c = a.compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Newest-first order of records: unparseable versions sort last, by string.
bool newer_than(const VersionRecord& a, const std::optional<Semver>& sa, const VersionRecord& b,
                const std::optional<Semver>& sb) {
    if (sa && sb) {
        const int c = compare_precedence(*sa, *sb);
        if (c != 0) return c > 0;
    } else if (sa.has_value() != sb.has_value()) {
        return sa.has_value();
    }
    if (a.created_at != b.created_at) return a.created_at > b.created_at;
    return a.version < b.version;
}

}  // namespace

std::optional<Semver> parse_semver(std::string_view text) {
    if (!text.empty() && text[0] == 'v') text.remove_prefix(1);
    Semver v;
    const size_t plus = text.find('+');
    if (plus != std::string_view::npos) {
        const std::string_view build = text.substr(plus + 1);
        if (!split_identifiers(build)) return std::nullopt;
        v.build = std::string(build);
        text = text.substr(0, plus);
    }
    const size_t dash = text.find('-');
    if (dash != std::string_view::npos) {
        auto ids = split_identifiers(text.substr(dash + 1));
        if (!ids) return std::nullopt;
        for (const auto& id : *ids) {
            if (id.size() > 1 && id[0] == '0' && all_digits(id)) return std::nullopt;
        }
        v.prerelease = std::move(*ids);
        text = text.substr(0, dash);
    }
    const size_t d1 = text.find('.');
    if (d1 == std::string_view::npos) return std::nullopt;
    const size_t d2 = text.find('.', d1 + 1);
    if (d2 == std::string_view::npos) return std::nullopt;
    auto major = parse_number(text.substr(0, d1));
    auto minor = parse_number(text.substr(d1 + 1, d2 - d1 - 1));
    auto patch = parse_number(text.substr(d2 + 1));
    if (!major || !minor || !patch) return std::nullopt;
    v.major = *major;
    v.minor = *minor;
    v.patch = *patch;
    return v;
}

int compare_precedence(const Semver& a, const Semver& b) {
    if (a.major != b.major) return a.major < b.major ? -1 : 1;
    if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
    if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
    // A release outranks any of its pre-releases.
    if (a.prerelease.empty() || b.prerelease.empty()) {
        if (a.prerelease.empty() && b.prerelease.empty()) return 0;
        return a.prerelease.empty() ? 1 : -1;
    }
    const size_t n = std::min(a.prerelease.size(), b.prerelease.size());
    for (size_t i = 0; i < n; ++i) {
        if (int c = compare_identifier(a.prerelease[i], b.prerelease[i]); c != 0) return c;
    }
    if (a.prerelease.size() == b.prerelease.size()) return 0;
    return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
}

std::string version_key(std::string_view version) {
    if (!version.empty() && version[0] == 'v') version.remove_prefix(1);
    return std::string(version);
}

void sort_newest_first(std::vector<VersionRecord>& versions) {
    // Parse once per record, then sort a permutation.
    std::vector<std::optional<Semver>> parsed;
    parsed.reserve(versions.size());
    for (const auto& v : versions) parsed.push_back(parse_semver(v.version));
    std::vector<size_t> order(versions.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return newer_than(versions[a], parsed[a], versions[b], parsed[b]);
    });
    std::vector<VersionRecord> sorted;
    sorted.reserve(versions.size());
    for (size_t i : order) sorted.push_back(std::move(versions[i]));
    versions = std::move(sorted);
}

std::optional<size_t> select_latest(const std::vector<VersionRecord>& versions) {
    std::optional<size_t> best_release, best_pre;
    std::optional<Semver> best_release_sv, best_pre_sv;
    for (size_t i = 0; i < versions.size(); ++i) {
        auto sv = parse_semver(versions[i].version);
        if (!sv) continue;  // never stored, but never "latest" either
        auto& best = sv->is_prerelease() ? best_pre : best_release;
        auto& best_sv = sv->is_prerelease() ? best_pre_sv : best_release_sv;
        if (!best || newer_than(versions[i], sv, versions[*best], best_sv)) {
            best = i;
            best_sv = std::move(sv);
        }
    }
    if (best_release) return best_release;
    if (best_pre) return best_pre;
    return versions.empty() ? std::nullopt : std::optional<size_t>(0);
}

}  // namespace spoke
