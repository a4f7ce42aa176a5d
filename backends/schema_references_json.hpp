#pragma once
// The JSON of a schema's references ([{name, subject, version}]) as both backends store it: in
// the filesystem's schema records and in PostgreSQL's confluent_schemas.refs.

#include <jansson.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/confluent/subject_model.hpp"

namespace spoke {

// A new JSON array (the caller owns the reference), or null when jansson refused a value.
json_t* references_to_json(const std::vector<SchemaReference>& refs);
// False for anything that is not such an array.
bool references_from_json(const json_t* array, std::vector<SchemaReference>& out);
// The same as text, and back (Internal for malformed text).
Result<std::string> encode_references(const std::vector<SchemaReference>& refs);
Result<std::vector<SchemaReference>> decode_references(std::string_view text);

}  // namespace spoke
