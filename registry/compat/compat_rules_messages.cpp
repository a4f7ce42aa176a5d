// Rules on message pairs (paired by full name): reserved ranges and names, required fields,
// deleted fields and oneofs, extension ranges, JSON format.

#include <google/protobuf/descriptor.pb.h>

#include <limits>
#include <set>

#include "registry/compat/compat_rules.hpp"

namespace spoke::compat {

namespace {

int64_t max_field_number(const pb::Descriptor* message) {
    return message->options().message_set_wire_format() ? std::numeric_limits<int32_t>::max()
                                                        : pb::FieldDescriptor::kMaxNumber;
}

// Descriptor ranges are half-open; TagRange is inclusive.
std::vector<TagRange> reserved_ranges(const pb::Descriptor* message) {
    std::vector<TagRange> out;
    for (int i = 0; i < message->reserved_range_count(); ++i) {
        const auto* r = message->reserved_range(i);
        out.push_back({r->start, int64_t{r->end} - 1});
    }
    return out;
}

std::vector<TagRange> extension_ranges(const pb::Descriptor* message) {
    std::vector<TagRange> out;
    for (int i = 0; i < message->extension_range_count(); ++i) {
        const auto* r = message->extension_range(i);
        out.push_back({r->start, int64_t{r->end} - 1});
    }
    return out;
}

std::set<std::string> reserved_names(const pb::Descriptor* message) {
    std::set<std::string> out;
    for (int i = 0; i < message->reserved_name_count(); ++i) out.insert(message->reserved_name(i));
    return out;
}

void check_ranges_kept(const char* rule, ViolationLevel level, const char* kind,
                       const pb::Descriptor* newer, const std::vector<TagRange>& old_ranges,
                       const std::vector<TagRange>& new_ranges, ViolationSink& sink) {
    const int64_t max = max_field_number(newer);
    for (const TagRange& range : old_ranges) {
        std::vector<TagRange> missing = uncovered_parts(range, new_ranges);
        if (missing.empty()) continue;
        std::string removed;
        for (const TagRange& m : missing) {
            removed += (removed.empty() ? "" : ", ") + range_text(m, max);
        }
        sink.add(rule, level,
                 std::string("Previously present ") + kind + " range " +
                     quoted(range_text(range, max)) + " on message " + quoted(newer->full_name()) +
                     " is missing values: " + removed + " were removed.",
                 newer->file(), SchemaImage::line_of(newer), newer->full_name(),
                 range_text(range, max), removed);
    }
}

void check_reserved(const pb::Descriptor* older, const pb::Descriptor* newer, ViolationSink& sink) {
    check_ranges_kept("RESERVED_MESSAGE_NO_DELETE", ViolationLevel::Error, "reserved", newer,
                      reserved_ranges(older), reserved_ranges(newer), sink);
    const std::set<std::string> kept = reserved_names(newer);
    for (const std::string& name : reserved_names(older)) {
        if (kept.count(name)) continue;
        sink.add("RESERVED_MESSAGE_NO_DELETE", ViolationLevel::Error,
                 "Previously present reserved name " + quoted(name) + " on message " +
                     quoted(newer->full_name()) + " was deleted.",
                 newer->file(), SchemaImage::line_of(newer), newer->full_name(), name, "");
    }
}

// A required field must be sent, so one side not knowing it (or not requiring it) breaks.
void check_required_fields(const pb::Descriptor* older, const pb::Descriptor* newer,
                           ViolationSink& sink) {
    for (int i = 0; i < older->field_count(); ++i) {
        const pb::FieldDescriptor* before = older->field(i);
        if (!before->is_required()) continue;
        const pb::FieldDescriptor* after = newer->FindFieldByNumber(before->number());
        if (after != nullptr && after->is_required()) continue;
        // A deleted field is reported on its message in the newer schema, as buf does.
        const pb::FileDescriptor* file = after != nullptr ? after->file() : newer->file();
        const int line =
            after != nullptr ? SchemaImage::line_of(after) : SchemaImage::line_of(newer);
        sink.add("MESSAGE_SAME_REQUIRED_FIELDS", ViolationLevel::Error,
                 "Message " + quoted(newer->full_name()) + " had required field " +
                     quoted(std::to_string(before->number())) +
                     " deleted. Required fields must always be sent, so if one side does not "
                     "know about the required field, this will result in a breakage.",
                 file, line, field_element(before), "required",
                 after != nullptr ? "not required" : "deleted");
    }
    for (int i = 0; i < newer->field_count(); ++i) {
        const pb::FieldDescriptor* after = newer->field(i);
        if (!after->is_required()) continue;
        const pb::FieldDescriptor* before = older->FindFieldByNumber(after->number());
        if (before != nullptr && before->is_required()) continue;
        sink.add("MESSAGE_SAME_REQUIRED_FIELDS", ViolationLevel::Error,
                 "Message " + quoted(newer->full_name()) + " had required field " +
                     quoted(std::to_string(after->number())) +
                     " added. Required fields must always be sent, so if one side does not "
                     "know about the required field, this will result in a breakage.",
                 after->file(), SchemaImage::line_of(after), field_element(after),
                 before != nullptr ? "not required" : "absent", "required");
    }
}

void check_field_deletions(const pb::Descriptor* older, const pb::Descriptor* newer,
                           ViolationSink& sink) {
    const std::vector<TagRange> ranges = reserved_ranges(newer);
    const std::set<std::string> names = reserved_names(newer);
    for (int i = 0; i < older->field_count(); ++i) {
        const pb::FieldDescriptor* field = older->field(i);
        if (newer->FindFieldByNumber(field->number()) != nullptr) continue;
        const bool number_reserved = in_ranges(field->number(), ranges);
        const bool name_reserved = names.count(field->name()) > 0;
        std::string description = describe_field(field);
        description[0] = 'f';
        const std::string number = quoted(std::to_string(field->number()));
        // Reported where the number or name must be reserved: on the message in the newer
        // schema (buf's location too).
        const pb::FileDescriptor* file = newer->file();
        const int line = SchemaImage::line_of(newer);
        if (!number_reserved) {
            sink.add("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", ViolationLevel::Error,
                     "Previously present " + description +
                         " was deleted without reserving the "
                         "number " +
                         number + ".",
                     file, line, field_element(field), field->name(), "");
        }
        if (!name_reserved) {
            sink.add("FIELD_NO_DELETE_UNLESS_NAME_RESERVED", ViolationLevel::Warning,
                     "Previously present " + description +
                         " was deleted without reserving the name " + quoted(field->name()) + ".",
                     file, line, field_element(field), field->name(), "");
        }
        if (number_reserved && name_reserved) {
            sink.add("FIELD_NO_DELETE", ViolationLevel::Info,
                     "Previously present " + description + " was deleted.", file, line,
                     field_element(field), field->name(), "");
        }
    }
}

void check_oneof_deletions(const pb::Descriptor* older, const pb::Descriptor* newer,
                           ViolationSink& sink) {
    for (int i = 0; i < older->oneof_decl_count(); ++i) {
        const pb::OneofDescriptor* oneof = older->oneof_decl(i);
        // Synthetic oneofs only model proto3 `optional`; the cardinality rules see those.
        if (oneof->is_synthetic()) continue;
        if (newer->FindOneofByName(oneof->name()) != nullptr) continue;
        sink.add("ONEOF_NO_DELETE", ViolationLevel::Info,
                 "Previously present oneof " + quoted(oneof->name()) + " on message " +
                     quoted(newer->full_name()) + " was deleted.",
                 newer->file(), SchemaImage::line_of(newer), oneof->full_name(), oneof->name(), "");
    }
}

void check_message_options(const pb::Descriptor* older, const pb::Descriptor* newer,
                           ViolationSink& sink) {
    if (!newer->options().map_entry() && json_format_allowed(older->file()) &&
        !json_format_allowed(newer->file())) {
        sink.add("MESSAGE_SAME_JSON_FORMAT", ViolationLevel::Warning,
                 "Message " + quoted(newer->full_name()) +
                     " JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.",
                 newer->file(), SchemaImage::line_of(newer), newer->full_name(), "ALLOW",
                 "LEGACY_BEST_EFFORT");
    }
    if (!older->options().no_standard_descriptor_accessor() &&
        newer->options().no_standard_descriptor_accessor()) {
        sink.add("MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR", ViolationLevel::Info,
                 "Message option \"no_standard_descriptor_accessor\" changed from \"false\" to "
                 "\"true\".",
                 newer->file(), SchemaImage::line_of(newer), newer->full_name(), "false", "true");
    }
}

}  // namespace

void check_messages(const ImagePair& images, ViolationSink& sink) {
    for (const auto& [name, older] : images.older.messages) {
        auto it = images.newer.messages.find(name);
        if (it == images.newer.messages.end()) continue;
        const pb::Descriptor* newer = it->second;
        check_reserved(older, newer, sink);
        check_required_fields(older, newer, sink);
        check_field_deletions(older, newer, sink);
        check_oneof_deletions(older, newer, sink);
        check_ranges_kept("EXTENSION_MESSAGE_NO_DELETE", ViolationLevel::Info, "extension", newer,
                          extension_ranges(older), extension_ranges(newer), sink);
        check_message_options(older, newer, sink);
    }
}

}  // namespace spoke::compat
