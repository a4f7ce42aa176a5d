#pragma once
// lint_files: the lint rules that read descriptors alone (all but IMPORT_USED, which only the
// pool's build can tell; lint_schema adds it). Pure and thread-safe: the descriptors are only read.
//
// Rules (IDs in lint_warning.hpp; buf lint's meaning unless said otherwise):
//  PACKAGE_DEFINED, MESSAGE_PASCAL_CASE (map entries skipped), FIELD_LOWER_SNAKE_CASE (message
//  fields and extensions), ENUM_PASCAL_CASE, ENUM_VALUE_UPPER_SNAKE_CASE, SERVICE_PASCAL_CASE,
//  RPC_PASCAL_CASE, ENUM_FIRST_VALUE_ZERO (only proto2 can trip it: proto3 rejects such enums);
//  ENUM_ZERO_VALUE_SUFFIX: the enum's first value numbered 0 must be named
//  <ENUM_IN_UPPER_SNAKE_CASE>_UNSPECIFIED (buf checks only the suffix and leaves the prefix to
//  ENUM_VALUE_PREFIX; here one rule asks for the whole name);
//  FIELD_NUMBER_RESERVED_RANGE (ours): libprotobuf already rejects fields and extensions numbered
//  19000-19999 at compile time, but accepts extension ranges there, though no extension could
//  ever use those numbers. So the rule flags an extension range that starts or ends inside
//  19000-19999; one that merely spans it (`extensions 1000 to max`) is the usual idiom and is not
//  flagged. Reserved ranges (harmless) and enum values (not field numbers) are not checked.

#include <google/protobuf/descriptor.h>

#include <span>
#include <vector>

#include "registry/lint/lint_warning.hpp"

namespace spoke {

// Findings in `files` order, each file's in declaration order (lines from source info, if any).
std::vector<LintWarning> lint_files(std::span<const google::protobuf::FileDescriptor* const> files);

}  // namespace spoke
