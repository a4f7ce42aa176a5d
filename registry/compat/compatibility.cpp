#include "registry/compat/compatibility.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "registry/compat/compat_rules.hpp"

namespace spoke {

namespace {

struct ModeName {
    CompatMode mode;
    const char* name;
};

constexpr ModeName kModes[] = {
    {CompatMode::None, "NONE"},
    {CompatMode::Backward, "BACKWARD"},
    {CompatMode::BackwardTransitive, "BACKWARD_TRANSITIVE"},
    {CompatMode::Forward, "FORWARD"},
    {CompatMode::ForwardTransitive, "FORWARD_TRANSITIVE"},
    {CompatMode::Full, "FULL"},
    {CompatMode::FullTransitive, "FULL_TRANSITIVE"},
};

// Code built from `newer` reading data written with `older`.
std::vector<Violation> check_direction(const SchemaImage& older, const SchemaImage& newer) {
    const compat::ElementIndex older_index = compat::index_elements(older);
    const compat::ElementIndex newer_index = compat::index_elements(newer);
    const compat::ImagePair images{older_index, newer_index};
    compat::ViolationSink sink;
    compat::check_files(images, sink);
    compat::check_messages(images, sink);
    compat::check_fields(images, sink);
    compat::check_enums(images, sink);
    compat::check_services(images, sink);
    return std::move(sink.violations());
}

// Code built from `older` reading data written with `newer` (FORWARD). The same rules with the
// inputs swapped, except the *_NO_DELETE family: seen backwards, a "deletion" is an addition in
// the real history, and old readers skip fields and keep enum numbers they do not know. Those
// rules guard the *newer* schema against reusing numbers and names, a BACKWARD concern only.
// (So adding a field is forward compatible, as in Confluent's FORWARD; a plain swap of buf's
// rules would refuse every addition.)
std::vector<Violation> check_reverse_direction(const SchemaImage& older, const SchemaImage& newer) {
    std::vector<Violation> out = check_direction(newer, older);
    std::erase_if(
        out, [](const Violation& v) { return v.rule.find("_NO_DELETE") != std::string::npos; });
    return out;
}

// The same finding seen from the other direction names the values the other way round.
auto dedup_key(const Violation& v) {
    return std::make_tuple(v.rule, v.element, std::min(v.old_value, v.new_value),
                           std::max(v.old_value, v.new_value));
}

}  // namespace

std::optional<CompatMode> parse_compat_mode(std::string_view text) {
    for (const ModeName& m : kModes) {
        if (text == m.name) return m.mode;
    }
    return std::nullopt;
}

const char* compat_mode_name(CompatMode mode) {
    for (const ModeName& m : kModes) {
        if (m.mode == mode) return m.name;
    }
    return "NONE";
}

bool is_transitive(CompatMode mode) {
    return mode == CompatMode::BackwardTransitive || mode == CompatMode::ForwardTransitive ||
           mode == CompatMode::FullTransitive;
}

const char* violation_level_name(ViolationLevel level) {
    switch (level) {
        case ViolationLevel::Error:
            return "error";
        case ViolationLevel::Warning:
            return "warning";
        case ViolationLevel::Info:
            return "info";
    }
    return "error";
}

CompatReport check_compatibility(const SchemaImage& older, const SchemaImage& newer,
                                 CompatMode mode) {
    CompatReport report;
    switch (mode) {
        case CompatMode::None:
            return report;
        case CompatMode::Backward:
        case CompatMode::BackwardTransitive:
            report.violations = check_direction(older, newer);
            break;
        case CompatMode::Forward:
        case CompatMode::ForwardTransitive:
            report.violations = check_reverse_direction(older, newer);
            break;
        case CompatMode::Full:
        case CompatMode::FullTransitive: {
            report.violations = check_direction(older, newer);
            std::set<decltype(dedup_key(Violation{}))> seen;
            for (const Violation& v : report.violations) seen.insert(dedup_key(v));
            for (Violation& v : check_reverse_direction(older, newer)) {
                if (seen.insert(dedup_key(v)).second) report.violations.push_back(std::move(v));
            }
            break;
        }
    }
    std::stable_sort(report.violations.begin(), report.violations.end(),
                     [](const Violation& a, const Violation& b) {
                         return std::tie(a.file, a.line, a.rule, a.element, a.message) <
                                std::tie(b.file, b.line, b.rule, b.element, b.message);
                     });
    for (const Violation& v : report.violations) {
        switch (v.level) {
            case ViolationLevel::Error:
                ++report.error_count;
                break;
            case ViolationLevel::Warning:
                ++report.warning_count;
                break;
            case ViolationLevel::Info:
                ++report.info_count;
                break;
        }
    }
    return report;
}

}  // namespace spoke
