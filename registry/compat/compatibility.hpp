#pragma once
// The compatibility checker: Confluent's seven modes over two SchemaImages, with violations named
// by rule (buf's rule IDs where a rule means the same as one of `buf breaking`'s).
// CompatMode: a mode. Violation: one broken rule, where. CompatReport: the verdict of one check.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/compat/schema_image.hpp"

namespace spoke {

enum class CompatMode {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
};

// "BACKWARD" -> Backward ...; nullopt for anything else (case-sensitive, as Confluent spells them).
std::optional<CompatMode> parse_compat_mode(std::string_view text);
const char* compat_mode_name(CompatMode mode);
bool is_transitive(CompatMode mode);

// error: breaks the wire format (data written by one side cannot be read by the other);
// warning: breaks the JSON mapping only (json names, enum value names);
// info: breaks generated source only (renames, file options), never data.
enum class ViolationLevel { Error, Warning, Info };
const char* violation_level_name(ViolationLevel level);

struct Violation {
    std::string
        rule;  // e.g. "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_WIRE_COMPATIBLE_TYPE"
    ViolationLevel level = ViolationLevel::Error;
    std::string message;  // a sentence naming the element and what changed
    std::string file;     // path of the file holding the element (the newer one, unless deleted)
    int line = 0;         // 1-based; 0 when unknown
    std::string element;  // fully-qualified name: "acme.v1.User.email", "acme.v1.Users.Get"
    std::string old_value;
    std::string new_value;
};

struct CompatReport {
    std::vector<Violation> violations;  // sorted by file, line, rule
    int error_count = 0;
    int warning_count = 0;
    int info_count = 0;
    // Compatible when nothing breaks the wire: errors fail a check, warnings and infos do not.
    bool compatible() const { return error_count == 0; }
};

// One non-transitive check of `newer` against `older` under `mode` (Backward, Forward or Full;
// a *_Transitive mode checks like its base here: the caller runs it against every earlier
// version). Backward: code built from `newer` reads data written with `older`. Forward: code
// built from `older` reads data written with `newer` (the rules with the inputs swapped, minus
// the *_NO_DELETE family, which only guards the newer schema against reusing numbers). Full:
// both, violations of each direction once. None: empty.
CompatReport check_compatibility(const SchemaImage& older, const SchemaImage& newer,
                                 CompatMode mode);

}  // namespace spoke
