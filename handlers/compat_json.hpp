#pragma once
// JSON of the compatibility routes and the push gate: CompatResult, the diff and the config
// bodies, and the decoding of their requests.
// CompatCheckRequest: body of POST /modules/{name}/compatibility. DiffRequest: body of the diff.

#include <jansson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "handlers/json_codec.hpp"
#include "registry/compat/compatibility.hpp"
#include "registry/compat/schema_diff.hpp"
#include "services/compat_check.hpp"

namespace spoke {

// {compatible, mode, old_version (null when none), new_version, violations, error_count,
// warning_count, info_count}; violations carry against_version for a transitive check.
JsonPtr compat_outcome_to_json(const CompatOutcome& outcome);
// The push gate's 409: {"error": <sentence>, "code": "INCOMPATIBLE", ...CompatResult}.
JsonPtr incompatible_push_to_json(const CompatOutcome& outcome);
// {from_version, to_version, changes: [{type, severity, element, file, old_value, new_value,
// description}]}.
JsonPtr schema_diff_to_json(std::string_view from_version, std::string_view to_version,
                            const std::vector<SchemaChange>& changes);
// {compatibility}.
JsonPtr compat_config_to_json(std::string_view level);

// A level or mode by name; BadRequest naming `label` and the seven names otherwise.
Result<CompatMode> parse_level(std::string_view text, std::string_view label);

// Body of PUT /modules/{name}/config: {compatibility}.
Result<CompatMode> decode_compat_config(const json_t* body);

struct CompatCheckRequest {
    std::string old_version;
    std::string new_version;
    std::optional<CompatMode> mode;  // absent: the module's level
};
Result<CompatCheckRequest> decode_compat_check(const json_t* body);

struct DiffRequest {
    std::string from_version;
    std::string to_version;
};
Result<DiffRequest> decode_diff_request(const json_t* body);

}  // namespace spoke
