// Rules on enum pairs (paired by full name): deleted values, value names, reserved ranges and
// names, open/closed and JSON format. Values are keyed by number, several names per number
// when allow_alias is on.

#include <google/protobuf/descriptor.pb.h>

#include <limits>
#include <map>
#include <set>

#include "registry/compat/compat_rules.hpp"

namespace spoke::compat {

namespace {

constexpr int64_t kMaxEnumNumber = std::numeric_limits<int32_t>::max();

using NamesByNumber = std::map<int, std::set<std::string>>;

NamesByNumber names_by_number(const pb::EnumDescriptor* e) {
    NamesByNumber out;
    for (int i = 0; i < e->value_count(); ++i)
        out[e->value(i)->number()].insert(e->value(i)->name());
    return out;
}

// Enum reserved ranges are inclusive already.
std::vector<TagRange> reserved_ranges(const pb::EnumDescriptor* e) {
    std::vector<TagRange> out;
    for (int i = 0; i < e->reserved_range_count(); ++i) {
        out.push_back({e->reserved_range(i)->start, e->reserved_range(i)->end});
    }
    return out;
}

std::set<std::string> reserved_names(const pb::EnumDescriptor* e) {
    std::set<std::string> out;
    for (int i = 0; i < e->reserved_name_count(); ++i) out.insert(e->reserved_name(i));
    return out;
}

std::string joined(const std::set<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + quoted(n);
    return out;
}

std::string plain_joined(const std::set<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
}

void check_value_deletions(const pb::EnumDescriptor* older, const pb::EnumDescriptor* newer,
                           ViolationSink& sink) {
    const NamesByNumber after = names_by_number(newer);
    const std::vector<TagRange> ranges = reserved_ranges(newer);
    const std::set<std::string> names = reserved_names(newer);
    for (const auto& [number, old_names] : names_by_number(older)) {
        if (after.count(number)) continue;
        const bool number_reserved = in_ranges(number, ranges);
        bool names_reserved = true;
        for (const std::string& n : old_names) names_reserved = names_reserved && names.count(n);
        const pb::EnumValueDescriptor* value = older->FindValueByNumber(number);
        const std::string element = enum_value_element(older, value->name());
        // Reported on the enum in the newer schema, where the reservation goes (as buf does).
        const int line = SchemaImage::line_of(newer);
        const std::string what = "Previously present enum value " + quoted(std::to_string(number)) +
                                 " on enum " + quoted(newer->full_name()) + " was deleted";
        if (!number_reserved) {
            sink.add("ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", ViolationLevel::Error,
                     what + " without reserving the number " + quoted(std::to_string(number)) + ".",
                     newer->file(), line, element, plain_joined(old_names), "");
        }
        if (!names_reserved) {
            sink.add("ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", ViolationLevel::Warning,
                     what + " without reserving the name" + (old_names.size() > 1 ? "s " : " ") +
                         joined(old_names) + ".",
                     newer->file(), line, element, plain_joined(old_names), "");
        }
        if (number_reserved && names_reserved) {
            sink.add("ENUM_VALUE_NO_DELETE", ViolationLevel::Info, what + ".", newer->file(), line,
                     element, plain_joined(old_names), "");
        }
    }
}

// JSON carries enum values by name: every old name of a number must still name it.
void check_value_names(const pb::EnumDescriptor* older, const pb::EnumDescriptor* newer,
                       ViolationSink& sink) {
    const NamesByNumber after = names_by_number(newer);
    for (const auto& [number, old_names] : names_by_number(older)) {
        auto it = after.find(number);
        if (it == after.end()) continue;
        bool kept = true;
        for (const std::string& n : old_names) kept = kept && it->second.count(n);
        if (kept) continue;
        const pb::EnumValueDescriptor* value = newer->FindValueByNumber(number);
        sink.add("ENUM_VALUE_SAME_NAME", ViolationLevel::Warning,
                 "Enum value " + quoted(std::to_string(number)) + " on enum " +
                     quoted(newer->full_name()) + " changed name from " + joined(old_names) +
                     " to " + joined(it->second) + ".",
                 newer->file(), SchemaImage::line_of(value),
                 enum_value_element(newer, value->name()), plain_joined(old_names),
                 plain_joined(it->second));
    }
}

void check_reserved(const pb::EnumDescriptor* older, const pb::EnumDescriptor* newer,
                    ViolationSink& sink) {
    const std::vector<TagRange> kept_ranges = reserved_ranges(newer);
    const int line = SchemaImage::line_of(newer);
    for (const TagRange& range : reserved_ranges(older)) {
        std::vector<TagRange> missing = uncovered_parts(range, kept_ranges);
        if (missing.empty()) continue;
        std::string removed;
        for (const TagRange& m : missing) {
            removed += (removed.empty() ? "" : ", ") + range_text(m, kMaxEnumNumber);
        }
        sink.add("RESERVED_ENUM_NO_DELETE", ViolationLevel::Error,
                 "Previously present reserved range " + quoted(range_text(range, kMaxEnumNumber)) +
                     " on enum " + quoted(newer->full_name()) + " is missing values: " + removed +
                     " were removed.",
                 newer->file(), line, newer->full_name(), range_text(range, kMaxEnumNumber),
                 removed);
    }
    const std::set<std::string> kept_names = reserved_names(newer);
    for (const std::string& name : reserved_names(older)) {
        if (kept_names.count(name)) continue;
        sink.add("RESERVED_ENUM_NO_DELETE", ViolationLevel::Error,
                 "Previously present reserved name " + quoted(name) + " on enum " +
                     quoted(newer->full_name()) + " was deleted.",
                 newer->file(), line, newer->full_name(), name, "");
    }
}

void check_enum_kind(const pb::EnumDescriptor* older, const pb::EnumDescriptor* newer,
                     ViolationSink& sink) {
    const int line = SchemaImage::line_of(newer);
    if (json_format_allowed(older->file()) && !json_format_allowed(newer->file())) {
        sink.add("ENUM_SAME_JSON_FORMAT", ViolationLevel::Warning,
                 "Enum " + quoted(newer->full_name()) +
                     " JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.",
                 newer->file(), line, newer->full_name(), "ALLOW", "LEGACY_BEST_EFFORT");
    }
    const bool was_closed = is_closed_enum(older);
    const bool is_closed = is_closed_enum(newer);
    if (was_closed != is_closed) {
        const char* from = was_closed ? "closed" : "open";
        const char* to = is_closed ? "closed" : "open";
        sink.add("ENUM_SAME_TYPE", ViolationLevel::Info,
                 "Enum " + quoted(newer->full_name()) + " changed from " + from + " to " + to + ".",
                 newer->file(), line, newer->full_name(), from, to);
    }
}

}  // namespace

void check_enums(const ImagePair& images, ViolationSink& sink) {
    for (const auto& [name, older] : images.older.enums) {
        auto it = images.newer.enums.find(name);
        if (it == images.newer.enums.end()) continue;
        check_value_deletions(older, it->second, sink);
        check_value_names(older, it->second, sink);
        check_reserved(older, it->second, sink);
        check_enum_kind(older, it->second, sink);
    }
}

}  // namespace spoke::compat
