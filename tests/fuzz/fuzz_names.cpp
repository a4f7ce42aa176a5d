// Names, versions and paths: validate_module_name, validate_version_name, validate_file_path,
// parse_dependency_ref, is_valid_utf8, parse_semver, compare_precedence, version_key,
// sort_newest_first, select_latest and quote_value, on the whole input and on each of its lines.
//
// Invariants: a parsed semver prints back as its version_key; precedence is antisymmetric and
// consistent with version_key; an accepted version parses as semver; an accepted dependency ref
// round-trips through to_string; accepted names and paths obey their documented grammar;
// is_valid_utf8 agrees with jansson's UTF-8 check; sort_newest_first orders by precedence, and
// select_latest picks the highest release (else the highest pre-release).

#include <jansson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "registry/names.hpp"
#include "registry/semver.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace spoke;
using spoke::fuzz::require;

std::string semver_text(const Semver& v) {
    std::string s =
        std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
    for (size_t i = 0; i < v.prerelease.size(); ++i) s += (i == 0 ? "-" : ".") + v.prerelease[i];
    if (!v.build.empty()) s += "+" + v.build;
    return s;
}

// jansson validates UTF-8 when it builds a string (embedded NULs allowed with json_stringn).
bool jansson_accepts_utf8(std::string_view s) {
    json_t* j = json_stringn(s.data(), s.size());
    if (j == nullptr) return false;
    json_decref(j);
    return true;
}

void check_one(std::string_view s) {
    (void)quote_value(s);
    require(is_valid_utf8(s) == jansson_accepts_utf8(s), "is_valid_utf8 disagrees with jansson");

    if (validate_module_name(s).ok()) {
        require(!s.empty() && s.size() <= 128 && s[0] >= 'a' && s[0] <= 'z',
                "accepted module name breaks ^[a-z]... or the length cap");
        for (char c : s) {
            require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                        c == '-',
                    "accepted module name holds a character outside [a-z0-9_.-]");
        }
    }

    const auto semver = parse_semver(s);
    if (semver) {
        require(semver_text(*semver) == version_key(s), "parse_semver does not print back");
        require(compare_precedence(*semver, *semver) == 0, "a version precedes itself");
        const auto again = parse_semver(semver_text(*semver));
        require(again && compare_precedence(*semver, *again) == 0,
                "a printed semver parses differently");
    }
    if (validate_version_name(s).ok()) {
        require(semver.has_value(), "an accepted version is not semver");
        require(s.size() <= 100 && s != "latest", "an accepted version breaks the length cap");
    }

    if (validate_file_path(s).ok()) {
        require(is_valid_utf8(s) && s.size() <= 512 && s.ends_with(".proto") && s.size() > 6 &&
                    s.front() != '/',
                "an accepted path breaks the path grammar");
        require(s.find("//") == std::string_view::npos && s.find('\\') == std::string_view::npos,
                "an accepted path holds '//' or '\\'");
        require(s != ".proto" && !s.ends_with("/.proto"), "an accepted path has an empty name");
        for (unsigned char c : s) require(c >= 0x20 && c != 0x7f, "control byte in a path");
        const std::string slashed = "/" + std::string(s) + "/";
        require(
            slashed.find("/./") == std::string::npos && slashed.find("/../") == std::string::npos,
            "an accepted path has a '.' or '..' segment");
    }

    auto ref = parse_dependency_ref(s);
    if (ref) {
        require(validate_module_name(ref->module).ok(), "a dependency ref's module is invalid");
        auto again = parse_dependency_ref(ref->to_string());
        require(again && *again == *ref, "a dependency ref does not round-trip");
    }
}

void check_order(const std::vector<std::string>& lines) {
    std::vector<VersionRecord> records;
    for (size_t i = 0; i < lines.size(); ++i) {
        VersionRecord r;
        r.version = lines[i];
        r.created_at = static_cast<TimestampMs>(i % 3);
        records.push_back(std::move(r));
    }
    // Pairwise: antisymmetric, and one version under either spelling is one version.
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
        const auto a = parse_semver(lines[i]);
        const auto b = parse_semver(lines[i + 1]);
        if (!a || !b) continue;
        const int ab = compare_precedence(*a, *b);
        const int ba = compare_precedence(*b, *a);
        require((ab > 0) == (ba < 0) && (ab == 0) == (ba == 0), "precedence is not antisymmetric");
        if (version_key(lines[i]) == version_key(lines[i + 1])) {
            require(ab == 0, "two spellings of one version have different precedence");
        }
    }

    const auto latest = select_latest(records);
    require(latest.has_value() == !records.empty(), "select_latest of a non-empty list is empty");
    if (latest) {
        const auto chosen = parse_semver(records[*latest].version);
        for (const auto& r : records) {
            const auto v = parse_semver(r.version);
            if (!v) continue;
            require(chosen.has_value(), "select_latest chose an unparseable version");
            if (!chosen->is_prerelease()) {
                require(v->is_prerelease() || compare_precedence(*v, *chosen) <= 0,
                        "select_latest missed a higher release");
            } else {
                require(v->is_prerelease() && compare_precedence(*v, *chosen) <= 0,
                        "select_latest chose a pre-release over a release or a higher one");
            }
        }
    }

    sort_newest_first(records);
    require(records.size() == lines.size(), "sort_newest_first lost records");
    for (size_t i = 0; i + 1 < records.size(); ++i) {
        const auto a = parse_semver(records[i].version);
        const auto b = parse_semver(records[i + 1].version);
        if (a && b) {
            require(compare_precedence(*a, *b) >= 0, "sort_newest_first put an older first");
        } else {
            require(a.has_value() || !b.has_value(), "sort_newest_first put unparseable first");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_one(input);
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= input.size() && lines.size() < 64) {
        const size_t eol = input.find('\n', start);
        const std::string_view line = input.substr(
            start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
        lines.emplace_back(line);
        if (eol == std::string_view::npos) break;
        start = eol + 1;
    }
    if (lines.size() > 1) {
        for (const auto& l : lines) check_one(l);
    }
    check_order(lines);
    return 0;
}
