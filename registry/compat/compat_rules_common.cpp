#include <algorithm>

#include "registry/compat/compat_rules.hpp"

namespace spoke::compat {

namespace {

void index_message(const pb::Descriptor* message, ElementIndex& index) {
    index.messages.emplace(message->full_name(), message);
    for (int i = 0; i < message->nested_type_count(); ++i) {
        index_message(message->nested_type(i), index);
    }
    for (int i = 0; i < message->enum_type_count(); ++i) {
        index.enums.emplace(message->enum_type(i)->full_name(), message->enum_type(i));
    }
    for (int i = 0; i < message->extension_count(); ++i) {
        const pb::FieldDescriptor* ext = message->extension(i);
        index.extensions.emplace(std::make_pair(ext->containing_type()->full_name(), ext->number()),
                                 ext);
    }
}

}  // namespace

ElementIndex index_elements(const SchemaImage& image) {
    ElementIndex index;
    for (const pb::FileDescriptor* file : image.files()) {
        index.files.emplace(file->name(), file);
        for (int i = 0; i < file->message_type_count(); ++i) {
            index_message(file->message_type(i), index);
        }
        for (int i = 0; i < file->enum_type_count(); ++i) {
            index.enums.emplace(file->enum_type(i)->full_name(), file->enum_type(i));
        }
        for (int i = 0; i < file->service_count(); ++i) {
            index.services.emplace(file->service(i)->full_name(), file->service(i));
        }
        for (int i = 0; i < file->extension_count(); ++i) {
            const pb::FieldDescriptor* ext = file->extension(i);
            index.extensions.emplace(
                std::make_pair(ext->containing_type()->full_name(), ext->number()), ext);
        }
    }
    return index;
}

void ViolationSink::add(const char* rule, ViolationLevel level, std::string message,
                        const pb::FileDescriptor* file, int line, std::string element,
                        std::string old_value, std::string new_value) {
    Violation v;
    v.rule = rule;
    v.level = level;
    v.message = std::move(message);
    v.file = file != nullptr ? file->name() : std::string();
    v.line = line;
    v.element = std::move(element);
    v.old_value = std::move(old_value);
    v.new_value = std::move(new_value);
    violations_.push_back(std::move(v));
}

int line_at(const pb::FileDescriptor* file, std::initializer_list<int> path) {
    if (file == nullptr) return 0;
    pb::SourceLocation location;
    return file->GetSourceLocation(std::vector<int>(path), &location) ? location.start_line + 1 : 0;
}

std::string nested_name(const std::string& full_name, const pb::FileDescriptor* file) {
    const std::string& package = file->package();
    if (package.empty()) return full_name;
    return full_name.substr(package.size() + 1);
}

std::string field_type_name(const pb::FieldDescriptor* field) {
    switch (field->type()) {
        case pb::FieldDescriptor::TYPE_MESSAGE:
            return field->message_type()->full_name();
        case pb::FieldDescriptor::TYPE_GROUP:
            // Not the message's name alone: a group and a message field of one type differ on
            // the wire (start/end tags against a length prefix).
            return "group " + field->message_type()->full_name();
        case pb::FieldDescriptor::TYPE_ENUM:
            return field->enum_type()->full_name();
        default:
            return field->type_name();
    }
}

std::string quoted(const std::string& s) {
    return quote_value(s);
}

std::string describe_field(const pb::FieldDescriptor* field) {
    std::string number = quoted(std::to_string(field->number()));
    if (field->is_extension()) {
        return "Extension " + number + " with name " + quoted(field->full_name()) + " on message " +
               quoted(field->containing_type()->full_name());
    }
    return "Field " + number + " with name " + quoted(field->name()) + " on message " +
           quoted(field->containing_type()->full_name());
}

std::string field_element(const pb::FieldDescriptor* field) {
    return field->full_name();
}

Cardinality cardinality_of(const pb::FieldDescriptor* field) {
    if (field->is_map()) return Cardinality::Map;
    if (field->is_repeated()) return Cardinality::Repeated;
    if (field->is_required()) return Cardinality::Required;
    return field->has_presence() ? Cardinality::OptionalExplicit : Cardinality::OptionalImplicit;
}

const char* cardinality_name(Cardinality c) {
    switch (c) {
        case Cardinality::OptionalExplicit:
            return "optional with explicit presence";
        case Cardinality::OptionalImplicit:
            return "optional with implicit presence";
        case Cardinality::Required:
            return "required";
        case Cardinality::Repeated:
            return "repeated";
        case Cardinality::Map:
            return "map";
    }
    return "";
}

std::string enum_value_element(const pb::EnumDescriptor* e, const std::string& value_name) {
    return e->full_name() + "." + value_name;
}

bool is_closed_enum(const pb::EnumDescriptor* e) {
    return e->file()->syntax() != pb::FileDescriptor::SYNTAX_PROTO3;
}

bool json_format_allowed(const pb::FileDescriptor* file) {
    return file->syntax() == pb::FileDescriptor::SYNTAX_PROTO3;
}

std::vector<TagRange> uncovered_parts(TagRange range, std::vector<TagRange> ranges) {
    std::sort(ranges.begin(), ranges.end(), [](const TagRange& a, const TagRange& b) {
        return a.start != b.start ? a.start < b.start : a.end < b.end;
    });
    std::vector<TagRange> missing;
    int64_t next = range.start;  // first number not yet known to be covered
    for (const TagRange& r : ranges) {
        if (next > range.end) break;
        if (r.end < next) continue;
        if (r.start > range.end) break;
        if (r.start > next) missing.push_back({next, r.start - 1});
        next = std::max(next, r.end + 1);
    }
    if (next <= range.end) missing.push_back({next, range.end});
    return missing;
}

std::string range_text(TagRange range, int64_t max) {
    if (range.start == range.end) return "[" + std::to_string(range.start) + "]";
    return "[" + std::to_string(range.start) + "," +
           (range.end >= max ? std::string("max") : std::to_string(range.end)) + "]";
}

bool in_ranges(int64_t number, const std::vector<TagRange>& ranges) {
    for (const TagRange& r : ranges) {
        if (number >= r.start && number <= r.end) return true;
    }
    return false;
}

}  // namespace spoke::compat
