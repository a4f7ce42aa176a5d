#pragma once
// The change list between two versions of a schema (POST /api/v1/modules/{name}/diff): every
// added, removed or changed element, each classified by the compatibility rules.
// SchemaChange: one change.

#include <string>
#include <vector>

#include "registry/compat/schema_image.hpp"

namespace spoke {

struct SchemaChange {
    std::string type;  // e.g. "FIELD_ADDED", "FIELD_REMOVED", "FIELD_TYPE_CHANGED", "MESSAGE_ADDED"
    std::string
        severity;  // "breaking" (a BACKWARD error), "warning" (JSON/source only), "non_breaking"
    std::string element;  // fully-qualified name
    std::string file;
    std::string old_value;
    std::string new_value;
    std::string description;
};

// Changes from `from` to `to`, sorted by file then element then type.
std::vector<SchemaChange> diff_schemas(const SchemaImage& from, const SchemaImage& to);

}  // namespace spoke
