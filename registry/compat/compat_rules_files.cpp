// Rules on file pairs (paired by path, as buf does): package, syntax, file options, and the
// per-file deletion rules (FILE/MESSAGE/ENUM/SERVICE/EXTENSION_NO_DELETE, PACKAGE_NO_DELETE).
// Only the package is wire-relevant (it is part of every full name); the rest is source-level.

#include <google/protobuf/descriptor.pb.h>

#include <set>
#include <type_traits>

#include "registry/compat/compat_rules.hpp"

namespace spoke::compat {

namespace {

// FileDescriptorProto field numbers (for source locations).
constexpr int kFilePackage = 2;
constexpr int kFileOptions = 8;
constexpr int kFileSyntax = 12;

struct FileOptionRule {
    const char* rule;
    const char* option;
    int number;  // FileOptions field number
    std::string (*value)(const pb::FileOptions&);
};

std::string flag(bool b) {
    return b ? "true" : "false";
}

const FileOptionRule kFileOptionRules[] = {
    {"FILE_SAME_JAVA_PACKAGE", "java_package", 1,
     [](const pb::FileOptions& o) { return o.java_package(); }},
    {"FILE_SAME_JAVA_OUTER_CLASSNAME", "java_outer_classname", 8,
     [](const pb::FileOptions& o) { return o.java_outer_classname(); }},
    {"FILE_SAME_OPTIMIZE_FOR", "optimize_for", 9,
     [](const pb::FileOptions& o) { return pb::FileOptions::OptimizeMode_Name(o.optimize_for()); }},
    {"FILE_SAME_JAVA_MULTIPLE_FILES", "java_multiple_files", 10,
     [](const pb::FileOptions& o) { return flag(o.java_multiple_files()); }},
    {"FILE_SAME_GO_PACKAGE", "go_package", 11,
     [](const pb::FileOptions& o) { return o.go_package(); }},
    {"FILE_SAME_CC_GENERIC_SERVICES", "cc_generic_services", 16,
     [](const pb::FileOptions& o) { return flag(o.cc_generic_services()); }},
    {"FILE_SAME_JAVA_GENERIC_SERVICES", "java_generic_services", 17,
     [](const pb::FileOptions& o) { return flag(o.java_generic_services()); }},
    {"FILE_SAME_PY_GENERIC_SERVICES", "py_generic_services", 18,
     [](const pb::FileOptions& o) { return flag(o.py_generic_services()); }},
    {"FILE_SAME_CC_ENABLE_ARENAS", "cc_enable_arenas", 31,
     [](const pb::FileOptions& o) { return flag(o.cc_enable_arenas()); }},
    {"FILE_SAME_OBJC_CLASS_PREFIX", "objc_class_prefix", 36,
     [](const pb::FileOptions& o) { return o.objc_class_prefix(); }},
    {"FILE_SAME_CSHARP_NAMESPACE", "csharp_namespace", 37,
     [](const pb::FileOptions& o) { return o.csharp_namespace(); }},
    {"FILE_SAME_SWIFT_PREFIX", "swift_prefix", 39,
     [](const pb::FileOptions& o) { return o.swift_prefix(); }},
    {"FILE_SAME_PHP_CLASS_PREFIX", "php_class_prefix", 40,
     [](const pb::FileOptions& o) { return o.php_class_prefix(); }},
    {"FILE_SAME_PHP_NAMESPACE", "php_namespace", 41,
     [](const pb::FileOptions& o) { return o.php_namespace(); }},
    {"FILE_SAME_PHP_METADATA_NAMESPACE", "php_metadata_namespace", 44,
     [](const pb::FileOptions& o) { return o.php_metadata_namespace(); }},
    {"FILE_SAME_RUBY_PACKAGE", "ruby_package", 45,
     [](const pb::FileOptions& o) { return o.ruby_package(); }},
};

const char* syntax_name(const pb::FileDescriptor* file) {
    return file->syntax() == pb::FileDescriptor::SYNTAX_PROTO3 ? "proto3" : "proto2";
}

int first_known_line(int a, int b) {
    return a != 0 ? a : b;
}

void check_file_pair(const pb::FileDescriptor* old_file, const pb::FileDescriptor* new_file,
                     ViolationSink& sink) {
    const std::string& path = new_file->name();
    const int package_line = line_at(new_file, {kFilePackage});
    if (old_file->package() != new_file->package()) {
        sink.add("FILE_SAME_PACKAGE", ViolationLevel::Error,
                 "File package changed from " + quoted(old_file->package()) + " to " +
                     quoted(new_file->package()) + ".",
                 new_file, package_line, path, old_file->package(), new_file->package());
    }
    if (old_file->syntax() != new_file->syntax()) {
        sink.add("FILE_SAME_SYNTAX", ViolationLevel::Info,
                 std::string("File syntax changed from \"") + syntax_name(old_file) + "\" to \"" +
                     syntax_name(new_file) + "\".",
                 new_file, first_known_line(line_at(new_file, {kFileSyntax}), package_line), path,
                 syntax_name(old_file), syntax_name(new_file));
    }
    for (const FileOptionRule& rule : kFileOptionRules) {
        std::string before = rule.value(old_file->options());
        std::string after = rule.value(new_file->options());
        if (before == after) continue;
        const int line =
            first_known_line(line_at(new_file, {kFileOptions, rule.number}), package_line);
        // Built before the call: the values are moved into arguments evaluated in any order.
        std::string message = std::string("File option \"") + rule.option + "\" changed from " +
                              quoted(before) + " to " + quoted(after) + ".";
        sink.add(rule.rule, ViolationLevel::Info, std::move(message), new_file, line, path,
                 std::move(before), std::move(after));
    }
}

template <class D>
void collect_messages(const D* container, std::map<std::string, const pb::Descriptor*>& out);

void add_message(const pb::Descriptor* message, std::map<std::string, const pb::Descriptor*>& out) {
    out.emplace(nested_name(message->full_name(), message->file()), message);
    collect_messages(message, out);
}

template <class D>
void collect_messages(const D* container, std::map<std::string, const pb::Descriptor*>& out) {
    if constexpr (std::is_same_v<D, pb::FileDescriptor>) {
        for (int i = 0; i < container->message_type_count(); ++i) {
            add_message(container->message_type(i), out);
        }
    } else {
        for (int i = 0; i < container->nested_type_count(); ++i) {
            add_message(container->nested_type(i), out);
        }
    }
}

std::map<std::string, const pb::EnumDescriptor*> enums_of(const pb::FileDescriptor* file) {
    std::map<std::string, const pb::EnumDescriptor*> out;
    for (int i = 0; i < file->enum_type_count(); ++i) {
        out.emplace(file->enum_type(i)->name(), file->enum_type(i));
    }
    std::map<std::string, const pb::Descriptor*> messages;
    collect_messages(file, messages);
    for (const auto& [name, message] : messages) {
        for (int i = 0; i < message->enum_type_count(); ++i) {
            out.emplace(name + "." + message->enum_type(i)->name(), message->enum_type(i));
        }
    }
    return out;
}

std::map<std::string, const pb::FieldDescriptor*> extensions_of(const pb::FileDescriptor* file) {
    std::map<std::string, const pb::FieldDescriptor*> out;
    for (int i = 0; i < file->extension_count(); ++i) {
        out.emplace(nested_name(file->extension(i)->full_name(), file), file->extension(i));
    }
    std::map<std::string, const pb::Descriptor*> messages;
    collect_messages(file, messages);
    for (const auto& [name, message] : messages) {
        for (int i = 0; i < message->extension_count(); ++i) {
            out.emplace(name + "." + message->extension(i)->name(), message->extension(i));
        }
    }
    return out;
}

// Where buf reports an element deleted from a file: on its closest enclosing message that the
// newer file still has, else on the file itself (line 0).
int surviving_parent_line(const std::string& name,
                          const std::map<std::string, const pb::Descriptor*>& new_messages) {
    std::string parent = name;
    for (auto dot = parent.rfind('.'); dot != std::string::npos; dot = parent.rfind('.')) {
        parent.resize(dot);
        if (auto it = new_messages.find(parent); it != new_messages.end()) {
            return SchemaImage::line_of(it->second);
        }
    }
    return 0;
}

// Deleting a message, enum, service or extension from a file breaks generated code that names
// it, never data already written: buf puts these rules in FILE only, so they are infos here.
void check_file_deletions(const pb::FileDescriptor* old_file, const pb::FileDescriptor* new_file,
                          ViolationSink& sink) {
    std::map<std::string, const pb::Descriptor*> old_messages, new_messages;
    collect_messages(old_file, old_messages);
    collect_messages(new_file, new_messages);
    for (const auto& [name, message] : old_messages) {
        if (new_messages.count(name)) continue;
        // A map field's entry goes with the field, which the field rules report.
        if (message->options().map_entry()) continue;
        const pb::Descriptor* parent = message->containing_type();
        if (parent != nullptr && !new_messages.count(nested_name(parent->full_name(), old_file))) {
            continue;  // reported with its deleted parent
        }
        sink.add("MESSAGE_NO_DELETE", ViolationLevel::Info,
                 "Previously present message " + quoted(name) + " was deleted from file.", new_file,
                 surviving_parent_line(name, new_messages), message->full_name(),
                 message->full_name(), "");
    }
    const auto old_enums = enums_of(old_file);
    const auto new_enums = enums_of(new_file);
    for (const auto& [name, e] : old_enums) {
        if (new_enums.count(name)) continue;
        sink.add("ENUM_NO_DELETE", ViolationLevel::Info,
                 "Previously present enum " + quoted(name) + " was deleted from file.", new_file,
                 surviving_parent_line(name, new_messages), e->full_name(), e->full_name(), "");
    }
    for (int i = 0; i < old_file->service_count(); ++i) {
        const pb::ServiceDescriptor* service = old_file->service(i);
        if (new_file->FindServiceByName(service->name()) != nullptr) continue;
        sink.add(
            "SERVICE_NO_DELETE", ViolationLevel::Info,
            "Previously present service " + quoted(service->name()) + " was deleted from file.",
            new_file, 0, service->full_name(), service->full_name(), "");
    }
    const auto old_extensions = extensions_of(old_file);
    const auto new_extensions = extensions_of(new_file);
    for (const auto& [name, ext] : old_extensions) {
        if (new_extensions.count(name)) continue;
        sink.add("EXTENSION_NO_DELETE", ViolationLevel::Info,
                 "Previously present extension " + quoted(name) + " was deleted from file.",
                 new_file, surviving_parent_line(name, new_messages), ext->full_name(),
                 ext->full_name(), "");
    }
}

}  // namespace

void check_files(const ImagePair& images, ViolationSink& sink) {
    std::set<std::string> new_packages;
    for (const auto& [path, file] : images.newer.files) new_packages.insert(file->package());
    std::set<std::string> reported_packages;
    for (const auto& [path, old_file] : images.older.files) {
        auto it = images.newer.files.find(path);
        if (it == images.newer.files.end()) {
            sink.add("FILE_NO_DELETE", ViolationLevel::Info,
                     "Previously present file " + quoted(path) + " was deleted.", old_file, 0, path,
                     path, "");
        } else {
            check_file_pair(old_file, it->second, sink);
            check_file_deletions(old_file, it->second, sink);
        }
        const std::string& package = old_file->package();
        if (!new_packages.count(package) && reported_packages.insert(package).second) {
            sink.add("PACKAGE_NO_DELETE", ViolationLevel::Info,
                     "Previously present package " + quoted(package) + " was deleted.", old_file, 0,
                     package, package, "");
        }
    }
}

}  // namespace spoke::compat
