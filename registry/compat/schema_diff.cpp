#include "registry/compat/schema_diff.hpp"

#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "registry/compat/compat_rules.hpp"
#include "registry/compat/compatibility.hpp"

namespace spoke {

namespace {

namespace pb = google::protobuf;
using compat::quoted;

// A change before classification: the rules whose BACKWARD violations on `elements` decide
// its severity.
struct PendingChange {
    SchemaChange change;
    std::vector<std::string> rules;
    std::vector<std::string> elements;
};

class DiffBuilder {
  public:
    explicit DiffBuilder(const CompatReport& backward) {
        for (const Violation& v : backward.violations) {
            auto [it, inserted] = worst_.emplace(std::make_pair(v.element, v.rule), v.level);
            if (!inserted) it->second = std::min(it->second, v.level);
        }
    }

    void add(const char* type, std::string element, const pb::FileDescriptor* file,
             std::string old_value, std::string new_value, std::string description,
             std::vector<std::string> rules, std::vector<std::string> extra_elements = {}) {
        PendingChange p;
        p.change.type = type;
        p.change.element = std::move(element);
        p.change.file = file != nullptr ? file->name() : std::string();
        p.change.old_value = std::move(old_value);
        p.change.new_value = std::move(new_value);
        p.change.description = std::move(description);
        p.rules = std::move(rules);
        p.elements = std::move(extra_elements);
        p.elements.push_back(p.change.element);
        pending_.push_back(std::move(p));
    }

    std::vector<SchemaChange> finish() {
        std::vector<SchemaChange> out;
        for (PendingChange& p : pending_) {
            p.change.severity = severity(p);
            out.push_back(std::move(p.change));
        }
        std::sort(out.begin(), out.end(), [](const SchemaChange& a, const SchemaChange& b) {
            return std::tie(a.file, a.element, a.type, a.old_value, a.new_value) <
                   std::tie(b.file, b.element, b.type, b.old_value, b.new_value);
        });
        return out;
    }

  private:
    std::string severity(const PendingChange& p) const {
        std::optional<ViolationLevel> worst;
        for (const std::string& element : p.elements) {
            for (const std::string& rule : p.rules) {
                auto it = worst_.find({element, rule});
                if (it == worst_.end()) continue;
                worst = worst.has_value() ? std::min(*worst, it->second) : it->second;
            }
        }
        if (!worst.has_value()) return "non_breaking";
        return *worst == ViolationLevel::Error ? "breaking" : "warning";
    }

    // Error < Warning < Info in the enum, so min() is the most severe.
    std::map<std::pair<std::string, std::string>, ViolationLevel> worst_;
    std::vector<PendingChange> pending_;
};

// "map<string, int32>" for map fields, else the type name.
std::string display_type(const pb::FieldDescriptor* field) {
    if (field->is_map()) {
        const pb::Descriptor* entry = field->message_type();
        return "map<" + compat::field_type_name(entry->map_key()) + ", " +
               compat::field_type_name(entry->map_value()) + ">";
    }
    return compat::field_type_name(field);
}

std::string explicit_default(const pb::FieldDescriptor* field) {
    if (!field->has_default_value()) return "";
    pb::FieldDescriptorProto proto;
    field->CopyTo(&proto);
    return proto.default_value();
}

// A singular enum field's default value: its enum's first value unless one is named, so
// reordering or renumbering the values changes it even when no default is written. Null for other
// fields.
const pb::EnumValueDescriptor* enum_default(const pb::FieldDescriptor* field) {
    if (field->is_repeated() || field->cpp_type() != pb::FieldDescriptor::CPPTYPE_ENUM) {
        return nullptr;
    }
    return field->default_value_enum();
}

std::string value_text(const pb::EnumValueDescriptor* value) {
    return value->name() + " = " + std::to_string(value->number());
}

std::string oneof_name(const pb::FieldDescriptor* field) {
    const pb::OneofDescriptor* oneof = field->real_containing_oneof();
    return oneof != nullptr ? oneof->name() : "";
}

// A map's key and value live on its entry message; their violations belong to the map field.
std::vector<std::string> entry_elements(const pb::FieldDescriptor* field) {
    if (!field->is_map()) return {};
    const pb::Descriptor* entry = field->message_type();
    return {entry->map_key()->full_name(), entry->map_value()->full_name()};
}

class SchemaDiffer {
  public:
    SchemaDiffer(const compat::ElementIndex& from, const compat::ElementIndex& to, DiffBuilder& out)
        : from_(from), to_(to), out_(out) {}

    void run(const CompatReport& backward) {
        diff_files(backward);
        diff_messages();
        diff_enums();
        diff_services();
        diff_extensions();
    }

  private:
    void diff_files(const CompatReport& backward) {
        for (const auto& [path, file] : from_.files) {
            auto it = to_.files.find(path);
            if (it == to_.files.end()) {
                out_.add("FILE_REMOVED", path, file, path, "",
                         "File " + quoted(path) + " was removed.",
                         {"FILE_NO_DELETE", "PACKAGE_NO_DELETE"}, {file->package()});
                continue;
            }
            const pb::FileDescriptor* next = it->second;
            if (file->package() != next->package()) {
                out_.add("PACKAGE_CHANGED", path, next, file->package(), next->package(),
                         "File " + quoted(path) + " changed package from " +
                             quoted(file->package()) + " to " + quoted(next->package()) + ".",
                         {"FILE_SAME_PACKAGE"});
            }
            if (file->syntax() != next->syntax()) {
                out_.add("SYNTAX_CHANGED", path, next,
                         pb::FileDescriptor::SyntaxName(file->syntax()),
                         pb::FileDescriptor::SyntaxName(next->syntax()),
                         "File " + quoted(path) + " changed syntax.", {"FILE_SAME_SYNTAX"});
            }
        }
        for (const auto& [path, file] : to_.files) {
            if (!from_.files.count(path)) {
                out_.add("FILE_ADDED", path, file, "", path, "File " + quoted(path) + " was added.",
                         {});
            }
        }
        // File options change only generated code; the checker already lists each one.
        for (const Violation& v : backward.violations) {
            if (v.rule.rfind("FILE_SAME_", 0) != 0 || v.rule == "FILE_SAME_PACKAGE" ||
                v.rule == "FILE_SAME_SYNTAX") {
                continue;
            }
            auto it = to_.files.find(v.file);
            out_.add("FILE_OPTION_CHANGED", v.element, it != to_.files.end() ? it->second : nullptr,
                     v.old_value, v.new_value, v.message, {v.rule});
        }
    }

    static bool is_map_entry(const pb::Descriptor* m) { return m->options().map_entry(); }

    void diff_messages() {
        for (const auto& [name, message] : from_.messages) {
            if (is_map_entry(message)) continue;
            auto it = to_.messages.find(name);
            if (it == to_.messages.end()) {
                out_.add("MESSAGE_REMOVED", name, message->file(), name, "",
                         "Message " + quoted(name) + " was removed.", {"MESSAGE_NO_DELETE"});
                continue;
            }
            const pb::Descriptor* next = it->second;
            if (message->file()->name() != next->file()->name()) {
                out_.add(
                    "MESSAGE_MOVED", name, next->file(), message->file()->name(),
                    next->file()->name(),
                    "Message " + quoted(name) + " moved to " + quoted(next->file()->name()) + ".",
                    {"MESSAGE_NO_DELETE"});
            }
            diff_fields(message, next);
            diff_oneofs(message, next);
            diff_reserved(name, next->file(), message_reserved(message), message_reserved(next),
                          "RESERVED_MESSAGE_NO_DELETE");
        }
        for (const auto& [name, message] : to_.messages) {
            if (is_map_entry(message) || from_.messages.count(name)) continue;
            out_.add("MESSAGE_ADDED", name, message->file(), "", name,
                     "Message " + quoted(name) + " was added.", {});
        }
    }

    void diff_fields(const pb::Descriptor* from, const pb::Descriptor* to) {
        for (int i = 0; i < from->field_count(); ++i) {
            const pb::FieldDescriptor* before = from->field(i);
            const pb::FieldDescriptor* after = to->FindFieldByNumber(before->number());
            if (after == nullptr) {
                out_.add("FIELD_REMOVED", before->full_name(), to->file(), display_type(before), "",
                         compat::describe_field(before) + " was removed.",
                         {"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
                          "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", "FIELD_NO_DELETE",
                          "MESSAGE_SAME_REQUIRED_FIELDS"});
                continue;
            }
            diff_field_pair(before, after);
        }
        for (int i = 0; i < to->field_count(); ++i) {
            const pb::FieldDescriptor* after = to->field(i);
            if (from->FindFieldByNumber(after->number()) != nullptr) continue;
            out_.add("FIELD_ADDED", after->full_name(), after->file(), "", display_type(after),
                     compat::describe_field(after) + " was added.",
                     {"MESSAGE_SAME_REQUIRED_FIELDS"});
        }
    }

    void diff_field_pair(const pb::FieldDescriptor* before, const pb::FieldDescriptor* after) {
        const std::string element = after->full_name();
        const pb::FileDescriptor* file = after->file();
        const std::string subject = compat::describe_field(after);
        if (before->name() != after->name()) {
            std::vector<std::string> rules{"FIELD_SAME_NAME"};
            // Renaming a map renames its entry type, which the checker reports as a type change
            // (as buf does) while the shown map<K, V> type stays the same: the rename carries it.
            if (before->is_map() && after->is_map() &&
                display_type(before) == display_type(after) &&
                before->message_type()->full_name() != after->message_type()->full_name()) {
                rules.insert(rules.end(), {"FIELD_WIRE_COMPATIBLE_TYPE",
                                           "FIELD_WIRE_JSON_COMPATIBLE_TYPE", "FIELD_SAME_TYPE"});
            }
            out_.add("FIELD_NAME_CHANGED", element, file, before->name(), after->name(),
                     subject + " was renamed from " + quoted(before->name()) + ".",
                     std::move(rules));
        }
        if (!before->is_extension() && before->json_name() != after->json_name()) {
            out_.add("FIELD_JSON_NAME_CHANGED", element, file, before->json_name(),
                     after->json_name(),
                     subject + " changed JSON name from " + quoted(before->json_name()) + " to " +
                         quoted(after->json_name()) + ".",
                     {"FIELD_SAME_JSON_NAME"});
        }
        const std::string old_type = display_type(before);
        const std::string new_type = display_type(after);
        if (old_type != new_type) {
            std::vector<std::string> extra = entry_elements(after);
            out_.add("FIELD_TYPE_CHANGED", element, file, old_type, new_type,
                     subject + " changed type from " + quoted(old_type) + " to " +
                         quoted(new_type) + ".",
                     {"FIELD_WIRE_COMPATIBLE_TYPE", "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
                      "FIELD_SAME_TYPE", "FIELD_SAME_DEFAULT"},
                     std::move(extra));
        }
        const char* old_label = compat::cardinality_name(compat::cardinality_of(before));
        const char* new_label = compat::cardinality_name(compat::cardinality_of(after));
        if (std::string(old_label) != new_label) {
            out_.add("FIELD_LABEL_CHANGED", element, file, old_label, new_label,
                     subject + " changed cardinality from " + quoted(old_label) + " to " +
                         quoted(new_label) + ".",
                     {"FIELD_WIRE_COMPATIBLE_CARDINALITY", "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
                      "FIELD_SAME_CARDINALITY", "MESSAGE_SAME_REQUIRED_FIELDS"});
        }
        if (oneof_name(before) != oneof_name(after)) {
            out_.add("FIELD_ONEOF_CHANGED", element, file, oneof_name(before), oneof_name(after),
                     subject + " changed oneof from " + quoted(oneof_name(before)) + " to " +
                         quoted(oneof_name(after)) + ".",
                     {"FIELD_SAME_ONEOF"});
        }
        if (explicit_default(before) != explicit_default(after)) {
            out_.add("FIELD_DEFAULT_CHANGED", element, file, explicit_default(before),
                     explicit_default(after), subject + " changed its default value.",
                     {"FIELD_SAME_DEFAULT"});
        } else if (const auto* from = enum_default(before), *to = enum_default(after);
                   from != nullptr && to != nullptr && from->number() != to->number()) {
            out_.add("FIELD_DEFAULT_CHANGED", element, file, value_text(from), value_text(to),
                     subject + " changed its default value.", {"FIELD_SAME_DEFAULT"});
        }
        if (before->is_packable() && after->is_packable() &&
            before->is_packed() != after->is_packed()) {
            out_.add("FIELD_PACKED_CHANGED", element, file,
                     before->is_packed() ? "packed" : "expanded",
                     after->is_packed() ? "packed" : "expanded",
                     subject + " changed its repeated encoding.", {"FIELD_SAME_PACKED"});
        }
    }

    void diff_oneofs(const pb::Descriptor* from, const pb::Descriptor* to) {
        for (int i = 0; i < from->oneof_decl_count(); ++i) {
            const pb::OneofDescriptor* oneof = from->oneof_decl(i);
            if (oneof->is_synthetic() || to->FindOneofByName(oneof->name()) != nullptr) continue;
            out_.add("ONEOF_REMOVED", oneof->full_name(), to->file(), oneof->name(), "",
                     "Oneof " + quoted(oneof->full_name()) + " was removed.", {"ONEOF_NO_DELETE"});
        }
        for (int i = 0; i < to->oneof_decl_count(); ++i) {
            const pb::OneofDescriptor* oneof = to->oneof_decl(i);
            if (oneof->is_synthetic() || from->FindOneofByName(oneof->name()) != nullptr) continue;
            out_.add("ONEOF_ADDED", oneof->full_name(), to->file(), "", oneof->name(),
                     "Oneof " + quoted(oneof->full_name()) + " was added.", {});
        }
    }

    // Reserved ranges as written ("5", "5 to 9") and names, one entry each.
    static std::set<std::string> message_reserved(const pb::Descriptor* m) {
        std::set<std::string> out;
        for (int i = 0; i < m->reserved_range_count(); ++i) {
            out.insert(range_entry(m->reserved_range(i)->start, m->reserved_range(i)->end - 1));
        }
        for (int i = 0; i < m->reserved_name_count(); ++i) out.insert(quoted(m->reserved_name(i)));
        return out;
    }

    static std::set<std::string> enum_reserved(const pb::EnumDescriptor* e) {
        std::set<std::string> out;
        for (int i = 0; i < e->reserved_range_count(); ++i) {
            out.insert(range_entry(e->reserved_range(i)->start, e->reserved_range(i)->end));
        }
        for (int i = 0; i < e->reserved_name_count(); ++i) out.insert(quoted(e->reserved_name(i)));
        return out;
    }

    static std::string range_entry(int64_t start, int64_t end) {
        return start == end ? std::to_string(start)
                            : std::to_string(start) + " to " + std::to_string(end);
    }

    void diff_reserved(const std::string& owner, const pb::FileDescriptor* file,
                       const std::set<std::string>& before, const std::set<std::string>& after,
                       const char* rule) {
        for (const std::string& entry : before) {
            if (after.count(entry)) continue;
            out_.add("RESERVED_REMOVED", owner, file, entry, "",
                     "Reservation " + entry + " was removed from " + quoted(owner) + ".", {rule});
        }
        for (const std::string& entry : after) {
            if (before.count(entry)) continue;
            out_.add("RESERVED_ADDED", owner, file, "", entry,
                     "Reservation " + entry + " was added to " + quoted(owner) + ".", {});
        }
    }

    void diff_enums() {
        for (const auto& [name, e] : from_.enums) {
            auto it = to_.enums.find(name);
            if (it == to_.enums.end()) {
                out_.add("ENUM_REMOVED", name, e->file(), name, "",
                         "Enum " + quoted(name) + " was removed.", {"ENUM_NO_DELETE"});
                continue;
            }
            diff_enum_values(e, it->second);
            diff_reserved(name, it->second->file(), enum_reserved(e), enum_reserved(it->second),
                          "RESERVED_ENUM_NO_DELETE");
        }
        for (const auto& [name, e] : to_.enums) {
            if (from_.enums.count(name)) continue;
            out_.add("ENUM_ADDED", name, e->file(), "", name,
                     "Enum " + quoted(name) + " was added.", {});
        }
    }

    void diff_enum_values(const pb::EnumDescriptor* from, const pb::EnumDescriptor* to) {
        for (int i = 0; i < from->value_count(); ++i) {
            const pb::EnumValueDescriptor* before = from->value(i);
            const pb::EnumValueDescriptor* after = to->FindValueByNumber(before->number());
            const std::string number = std::to_string(before->number());
            if (after == nullptr) {
                out_.add("ENUM_VALUE_REMOVED", compat::enum_value_element(from, before->name()),
                         to->file(), before->name() + " = " + number, "",
                         "Enum value " + quoted(before->name()) + " (" + number +
                             ") was removed from " + quoted(to->full_name()) + ".",
                         {"ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
                          "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", "ENUM_VALUE_NO_DELETE"},
                         // The checker names a number by its first value (aliases share it).
                         {compat::enum_value_element(
                             from, from->FindValueByNumber(before->number())->name())});
                continue;
            }
            // Aliases: a name that still names this number is no rename.
            const pb::EnumValueDescriptor* same_name = to->FindValueByName(before->name());
            if (same_name != nullptr && same_name->number() == before->number()) continue;
            out_.add("ENUM_VALUE_NAME_CHANGED", compat::enum_value_element(to, after->name()),
                     to->file(), before->name(), after->name(),
                     "Enum value " + number + " of " + quoted(to->full_name()) +
                         " was renamed from " + quoted(before->name()) + " to " +
                         quoted(after->name()) + ".",
                     {"ENUM_VALUE_SAME_NAME"});
        }
        for (int i = 0; i < to->value_count(); ++i) {
            const pb::EnumValueDescriptor* after = to->value(i);
            if (from->FindValueByNumber(after->number()) != nullptr) continue;
            out_.add("ENUM_VALUE_ADDED", compat::enum_value_element(to, after->name()), to->file(),
                     "", after->name() + " = " + std::to_string(after->number()),
                     "Enum value " + quoted(after->name()) + " was added to " +
                         quoted(to->full_name()) + ".",
                     {});
        }
    }

    void diff_services() {
        for (const auto& [name, service] : from_.services) {
            auto it = to_.services.find(name);
            if (it == to_.services.end()) {
                out_.add("SERVICE_REMOVED", name, service->file(), name, "",
                         "Service " + quoted(name) + " was removed.", {"SERVICE_NO_DELETE"});
                continue;
            }
            diff_methods(service, it->second);
        }
        for (const auto& [name, service] : to_.services) {
            if (from_.services.count(name)) continue;
            out_.add("SERVICE_ADDED", name, service->file(), "", name,
                     "Service " + quoted(name) + " was added.", {});
        }
    }

    void diff_methods(const pb::ServiceDescriptor* from, const pb::ServiceDescriptor* to) {
        for (int i = 0; i < from->method_count(); ++i) {
            const pb::MethodDescriptor* before = from->method(i);
            const pb::MethodDescriptor* after = to->FindMethodByName(before->name());
            if (after == nullptr) {
                out_.add("METHOD_REMOVED", before->full_name(), to->file(), before->name(), "",
                         "RPC " + quoted(before->full_name()) + " was removed.", {"RPC_NO_DELETE"});
                continue;
            }
            diff_method_pair(before, after);
        }
        for (int i = 0; i < to->method_count(); ++i) {
            const pb::MethodDescriptor* after = to->method(i);
            if (from->FindMethodByName(after->name()) != nullptr) continue;
            out_.add("METHOD_ADDED", after->full_name(), to->file(), "", after->name(),
                     "RPC " + quoted(after->full_name()) + " was added.", {});
        }
    }

    void diff_method_pair(const pb::MethodDescriptor* before, const pb::MethodDescriptor* after) {
        const std::string& element = after->full_name();
        const pb::FileDescriptor* file = after->file();
        const std::string subject = "RPC " + quoted(element);
        auto changed = [&](const char* type, const std::string& what, const std::string& from,
                           const std::string& to, const char* rule) {
            if (from == to) return;
            out_.add(
                type, element, file, from, to,
                subject + " changed " + what + " from " + quoted(from) + " to " + quoted(to) + ".",
                {rule});
        };
        changed("METHOD_REQUEST_TYPE_CHANGED", "request type", before->input_type()->full_name(),
                after->input_type()->full_name(), "RPC_SAME_REQUEST_TYPE");
        changed("METHOD_RESPONSE_TYPE_CHANGED", "response type", before->output_type()->full_name(),
                after->output_type()->full_name(), "RPC_SAME_RESPONSE_TYPE");
        auto streaming = [](bool s) { return std::string(s ? "streaming" : "unary"); };
        changed("METHOD_CLIENT_STREAMING_CHANGED", "client streaming",
                streaming(before->client_streaming()), streaming(after->client_streaming()),
                "RPC_SAME_CLIENT_STREAMING");
        changed("METHOD_SERVER_STREAMING_CHANGED", "server streaming",
                streaming(before->server_streaming()), streaming(after->server_streaming()),
                "RPC_SAME_SERVER_STREAMING");
        changed("METHOD_IDEMPOTENCY_CHANGED", "idempotency level",
                pb::MethodOptions::IdempotencyLevel_Name(before->options().idempotency_level()),
                pb::MethodOptions::IdempotencyLevel_Name(after->options().idempotency_level()),
                "RPC_SAME_IDEMPOTENCY_LEVEL");
    }

    void diff_extensions() {
        for (const auto& [key, ext] : from_.extensions) {
            auto it = to_.extensions.find(key);
            if (it == to_.extensions.end()) {
                out_.add("EXTENSION_REMOVED", ext->full_name(), ext->file(), display_type(ext), "",
                         compat::describe_field(ext) + " was removed.", {"EXTENSION_NO_DELETE"});
                continue;
            }
            diff_field_pair(ext, it->second);
        }
        for (const auto& [key, ext] : to_.extensions) {
            if (from_.extensions.count(key)) continue;
            out_.add("EXTENSION_ADDED", ext->full_name(), ext->file(), "", display_type(ext),
                     compat::describe_field(ext) + " was added.", {});
        }
    }

    const compat::ElementIndex& from_;
    const compat::ElementIndex& to_;
    DiffBuilder& out_;
};

}  // namespace

std::vector<SchemaChange> diff_schemas(const SchemaImage& from, const SchemaImage& to) {
    const CompatReport backward = check_compatibility(from, to, CompatMode::Backward);
    const compat::ElementIndex from_index = compat::index_elements(from);
    const compat::ElementIndex to_index = compat::index_elements(to);
    DiffBuilder builder(backward);
    SchemaDiffer(from_index, to_index, builder).run(backward);
    return builder.finish();
}

}  // namespace spoke
