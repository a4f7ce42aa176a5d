#pragma once
// The Confluent dialect's JSON (docs/confluent.md): request bodies in, schemas, versions and
// verdicts out, and errors as {"error_code", "message"}.

#include <jansson.h>

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "handlers/json_codec.hpp"
#include "services/confluent/schema_registration.hpp"

namespace spoke {

inline constexpr std::string_view kConfluentContentType = "application/vnd.schemaregistry.v1+json";

// A register, lookup or compatibility body: {"schema", "schemaType"?, "references"?}.
// `registering`: an explicit "id" or "version" (Confluent's IMPORT) is refused with 42205.
Result<SchemaInput> decode_schema_input(const json_t* body, bool registering);
// {"compatibility": LEVEL} or {"mode": MODE}: the value under `field`, 400 when absent.
Result<std::string> decode_setting(const json_t* body, const char* field);

// {"schemaType", "schema", "references"?}; `text` replaces the stored text (format=serialized).
JsonPtr schema_to_json(const StoredSchema& schema, const std::string& text);
// {"subject", "version", "id", "schemaType", "schema", "references"?}
JsonPtr subject_schema_to_json(const SubjectSchema& found, const std::string& text);

// Confluent's error_code for `error`: its dialect_code, else one derived from its code.
int confluent_error_code(const Error& error);
std::string confluent_error_body(int error_code, std::string_view message);

}  // namespace spoke
