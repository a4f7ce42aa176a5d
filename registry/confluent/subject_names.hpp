#pragma once
// The Confluent dialect's names and identities, without I/O: which subjects are accepted, the
// digest that gives identical schemas one global id, and the compatibility levels and modes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/confluent/subject_model.hpp"

namespace spoke {

// At most this many bytes in a subject (Confluent sets no limit; a path segment needs one).
inline constexpr size_t kMaxSubjectBytes = 255;

// BadRequest naming what is wrong: empty, longer than kMaxSubjectBytes, not UTF-8, or holding
// a control character.
Status validate_subject(std::string_view subject);

// "sha256:" + hex SHA-256 over the type, the text and the references in the order given, each
// field length-prefixed so no two different schemas share the bytes hashed.
std::string schema_digest(std::string_view schema_type, std::string_view text,
                          const std::vector<SchemaReference>& references);

// A `{version}` path segment: a positive 32-bit integer, or `latest` / `-1` (answered as 0).
// nullopt for anything else (Confluent's 42202).
std::optional<int64_t> parse_subject_version(std::string_view text);

// One of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,
// FULL_TRANSITIVE.
bool is_compatibility_level(std::string_view level);
// One of READWRITE, READONLY, READONLY_OVERRIDE, IMPORT.
bool is_subject_mode(std::string_view mode);

}  // namespace spoke
