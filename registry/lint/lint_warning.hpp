#pragma once
// LintWarning: one style finding in a .proto file, and the rule IDs lint_schema reports.

#include <string>
#include <string_view>

namespace spoke {

// A finding never blocks a push or a validation; `rule` is a stable ID clients may filter on.
struct LintWarning {
    std::string rule;
    std::string file;
    int line = 0;  // 1-based; 0 when the descriptor set carries no source info
    int column = 0;
    std::string message;

    bool operator==(const LintWarning&) const = default;
};

// Rule IDs: buf lint's names where the rule means the same thing.
namespace lint_rule {
inline constexpr std::string_view kPackageDefined = "PACKAGE_DEFINED";
inline constexpr std::string_view kMessagePascalCase = "MESSAGE_PASCAL_CASE";
inline constexpr std::string_view kFieldLowerSnakeCase = "FIELD_LOWER_SNAKE_CASE";
inline constexpr std::string_view kEnumPascalCase = "ENUM_PASCAL_CASE";
inline constexpr std::string_view kEnumValueUpperSnakeCase = "ENUM_VALUE_UPPER_SNAKE_CASE";
inline constexpr std::string_view kEnumZeroValueSuffix = "ENUM_ZERO_VALUE_SUFFIX";
inline constexpr std::string_view kEnumFirstValueZero = "ENUM_FIRST_VALUE_ZERO";
inline constexpr std::string_view kServicePascalCase = "SERVICE_PASCAL_CASE";
inline constexpr std::string_view kRpcPascalCase = "RPC_PASCAL_CASE";
inline constexpr std::string_view kImportUsed = "IMPORT_USED";
// Our own: extension ranges that name numbers in 19000-19999 (see lint_rules.hpp).
inline constexpr std::string_view kFieldNumberReservedRange = "FIELD_NUMBER_RESERVED_RANGE";
// Not a lint rule: a warning of the protobuf compiler itself, reported next to the lint's.
inline constexpr std::string_view kCompiler = "COMPILER";
}  // namespace lint_rule

}  // namespace spoke
