#include "registry/lint/lint_rules.hpp"

#include <google/protobuf/descriptor.pb.h>

#include <string>

#include "registry/lint/name_case.hpp"
#include "registry/lint/source_positions.hpp"

namespace spoke {
namespace {

namespace pb = google::protobuf;

constexpr int kFirstImplementationNumber = pb::FieldDescriptor::kFirstReservedNumber;  // 19000
constexpr int kLastImplementationNumber = pb::FieldDescriptor::kLastReservedNumber;    // 19999
// Every *DescriptorProto that has a name has it as field 1.
constexpr int kNameField = 1;

std::string quoted(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

bool is_implementation_number(int number) {
    return number >= kFirstImplementationNumber && number <= kLastImplementationNumber;
}

class FileLinter {
  public:
    FileLinter(const pb::FileDescriptor* file, std::vector<LintWarning>& out)
        : file_(file), positions_(file), out_(out) {}

    void run() {
        check_package();
        for (int i = 0; i < file_->message_type_count(); ++i) check_message(file_->message_type(i));
        for (int i = 0; i < file_->enum_type_count(); ++i) check_enum(file_->enum_type(i));
        for (int i = 0; i < file_->service_count(); ++i) check_service(file_->service(i));
        for (int i = 0; i < file_->extension_count(); ++i) check_field(file_->extension(i));
    }

  private:
    void add(std::string_view rule, SourcePosition at, std::string message) {
        out_.push_back({std::string(rule), file_->name(), at.line, at.column, std::move(message)});
    }

    template <class D>
    void check_pascal_case(std::string_view rule, const char* kind, const D* d) {
        if (is_pascal_case(d->name())) return;
        add(rule, positions_.at(path_of(d), kNameField),
            std::string(kind) + " name " + quoted(d->name()) + " should be PascalCase, such as " +
                quoted(to_pascal_case(d->name())) + ".");
    }

    void check_package() {
        if (!file_->package().empty()) return;
        // No package statement to point at: the syntax statement, else the top of the file.
        SourcePosition at = positions_.at({pb::FileDescriptorProto::kSyntaxFieldNumber});
        if (at.line == 0 && !positions_.empty()) at = {1, 1};
        add(lint_rule::kPackageDefined, at, "Files must have a package defined.");
    }

    void check_message(const pb::Descriptor* message) {
        // Map entries are synthesized from `map<K, V>` fields; the user named none of it.
        if (message->options().map_entry()) return;
        check_pascal_case(lint_rule::kMessagePascalCase, "Message", message);
        for (int i = 0; i < message->field_count(); ++i) check_field(message->field(i));
        for (int i = 0; i < message->extension_count(); ++i) check_field(message->extension(i));
        for (int i = 0; i < message->nested_type_count(); ++i) {
            check_message(message->nested_type(i));
        }
        for (int i = 0; i < message->enum_type_count(); ++i) check_enum(message->enum_type(i));
        check_extension_ranges(message);
    }

    void check_field(const pb::FieldDescriptor* field) {
        if (is_lower_snake_case(field->name())) return;
        add(lint_rule::kFieldLowerSnakeCase, positions_.at(path_of(field), kNameField),
            "Field name " + quoted(field->name()) + " should be lower_snake_case, such as " +
                quoted(to_lower_snake_case(field->name())) + ".");
    }

    void check_extension_ranges(const pb::Descriptor* message) {
        for (int i = 0; i < message->extension_range_count(); ++i) {
            const auto* range = message->extension_range(i);
            const int first = range->start;
            const int last = range->end - 1;  // `end` is exclusive
            if (!is_implementation_number(first) && !is_implementation_number(last)) continue;
            std::vector<int> path = path_of(message);
            path.push_back(pb::DescriptorProto::kExtensionRangeFieldNumber);
            path.push_back(i);
            add(lint_rule::kFieldNumberReservedRange,
                positions_.at(path, pb::DescriptorProto::ExtensionRange::kStartFieldNumber),
                "Extension range " + std::to_string(first) + " to " + std::to_string(last) +
                    " of message " + quoted(message->name()) + " starts or ends in " +
                    std::to_string(kFirstImplementationNumber) + " to " +
                    std::to_string(kLastImplementationNumber) +
                    ", numbers reserved for the protocol buffer implementation that no "
                    "extension may use.");
        }
    }

    void check_enum(const pb::EnumDescriptor* enumeration) {
        check_pascal_case(lint_rule::kEnumPascalCase, "Enum", enumeration);
        for (int i = 0; i < enumeration->value_count(); ++i) {
            const pb::EnumValueDescriptor* value = enumeration->value(i);
            if (is_upper_snake_case(value->name())) continue;
            add(lint_rule::kEnumValueUpperSnakeCase, positions_.at(path_of(value), kNameField),
                "Enum value name " + quoted(value->name()) +
                    " should be UPPER_SNAKE_CASE, such as " +
                    quoted(to_upper_snake_case(value->name())) + ".");
        }
        check_first_value_zero(enumeration);
        check_zero_value_name(enumeration);
    }

    void check_first_value_zero(const pb::EnumDescriptor* enumeration) {
        const pb::EnumValueDescriptor* first = enumeration->value(0);  // an enum has >= 1 value
        if (first->number() == 0) return;
        add(lint_rule::kEnumFirstValueZero,
            positions_.at(path_of(first), pb::EnumValueDescriptorProto::kNumberFieldNumber),
            "First enum value " + quoted(first->name()) + " of enum " +
                quoted(enumeration->name()) + " should have the number 0, not " +
                std::to_string(first->number()) + ".");
    }

    void check_zero_value_name(const pb::EnumDescriptor* enumeration) {
        // Aliases of the zero value (allow_alias) are deliberate: only the first one is named.
        const pb::EnumValueDescriptor* zero = nullptr;
        for (int i = 0; i < enumeration->value_count() && zero == nullptr; ++i) {
            if (enumeration->value(i)->number() == 0) zero = enumeration->value(i);
        }
        if (zero == nullptr) return;
        const std::string expected = to_upper_snake_case(enumeration->name()) + "_UNSPECIFIED";
        if (zero->name() == expected) return;
        add(lint_rule::kEnumZeroValueSuffix, positions_.at(path_of(zero), kNameField),
            "Enum zero value " + quoted(zero->name()) + " of enum " + quoted(enumeration->name()) +
                " should be named " + quoted(expected) + ".");
    }

    void check_service(const pb::ServiceDescriptor* service) {
        check_pascal_case(lint_rule::kServicePascalCase, "Service", service);
        for (int i = 0; i < service->method_count(); ++i) {
            check_pascal_case(lint_rule::kRpcPascalCase, "RPC", service->method(i));
        }
    }

    const pb::FileDescriptor* file_;
    SourcePositions positions_;
    std::vector<LintWarning>& out_;
};

}  // namespace

std::vector<LintWarning> lint_files(std::span<const pb::FileDescriptor* const> files) {
    std::vector<LintWarning> out;
    for (const pb::FileDescriptor* file : files) FileLinter(file, out).run();
    return out;
}

}  // namespace spoke
