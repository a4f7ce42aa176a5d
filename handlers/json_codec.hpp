#pragma once
// JSON encoding of the domain model for the API, and decoding of request bodies (jansson).

#include <jansson.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/timestamp.hpp"
#include "registry/lint/lint_warning.hpp"
#include "registry/model.hpp"
#include "registry/push_request.hpp"
#include "services/auth/token_request.hpp"

namespace spoke {

// JsonDeleter: drops one jansson reference.
struct JsonDeleter {
    void operator()(json_t* j) const { json_decref(j); }
};
// JsonPtr: an owned jansson value.
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

// A JSON string from arbitrary bytes: invalid UTF-8 becomes U+FFFD, so it never fails.
JsonPtr json_text(std::string_view s);
// Compact serialization (never fails for values built here).
std::string dump_json(const json_t* value);

// ---- Encoding ----
JsonPtr module_to_json(const Module& module);
JsonPtr version_summary_to_json(const VersionRecord& record);
// [{rule, file, line, column, message}]: lint and compiler warnings (/validate, push replies).
JsonPtr lint_warnings_to_json(const std::vector<LintWarning>& warnings);
// VersionSummary with `content` in every file entry.
JsonPtr version_to_json(const VersionSnapshot& snapshot);
JsonPtr diagnostic_to_json(const ProtoDiagnostic& d);
JsonPtr diagnostics_to_json(const std::vector<ProtoDiagnostic>& list);

// ---- Decoding ----
// Parses a request body that must be a JSON object. BadRequest saying, in our own words, what is
// wrong and at which line and column (never the parser's own text, which names its options).
Result<JsonPtr> parse_json_object(std::string_view body);
// "the request body is not valid JSON: <reason> at line L, column C" (1-based) for a parse failure.
std::string describe_json_error(const json_error_t& error);

// Body of POST /modules.
struct CreateModuleRequest {
    std::string name;
    std::string description;
};
Result<CreateModuleRequest> decode_create_module(const json_t* body);

// Body of POST /modules/{name}/versions; `module` comes from the path.
Result<PushRequest> decode_push_request(const json_t* body, std::string module);

// Body of POST /validate: `{files, dependencies?}` or `{content}` (one file, "schema.proto").
struct ValidateRequest {
    std::vector<ProtoFile> files;
    std::vector<std::string> dependencies;
};
Result<ValidateRequest> decode_validate_request(const json_t* body);

// Body of POST /auth/tokens: {name, scopes, prefixes?, expires_at?} (expires_at RFC 3339).
Result<TokenRequest> decode_token_request(const json_t* body);
// A token as listed: every field but the secret (which storage never has).
JsonPtr token_to_json(const ApiToken& token);

// Inverses of the encoders, for clients and tests.
Result<Module> module_from_json(const json_t* value);
Result<VersionRecord> version_summary_from_json(const json_t* value);

}  // namespace spoke
