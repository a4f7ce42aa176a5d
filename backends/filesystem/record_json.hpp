#pragma once
// The on-disk JSON of module.json, version.json and tokens/<secret_hash>.json (jansson), with
// strict decoding. Timestamps are integers, milliseconds since the epoch; an optional one that is
// unset is null.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/api_token.hpp"
#include "registry/confluent/subject_model.hpp"
#include "registry/model.hpp"

namespace spoke::fsjson {

// {name, description, created_at, updated_at, compatibility}; derived fields are not stored. A
// record without compatibility reads as BACKWARD.
Result<std::string> encode_module(const Module& module);
Result<Module> decode_module(std::string_view json);

// The VersionRecord: {module_name, version, digest, created_at, dependencies, source_info, files}.
Result<std::string> encode_version(const VersionRecord& record);
Result<VersionRecord> decode_version(std::string_view json);

// {id, name, secret_hash, scopes, prefixes, expires_at, created_at, last_used_at, revoked_at}.
Result<std::string> encode_token(const ApiToken& token);
// Internal (naming the bad field) for anything that is not such an object.
Result<ApiToken> decode_token(std::string_view json);

// Confluent subjects (subject_files.hpp). A schema: {id, schema_type, text, references: [{name,
// subject, version}], digest}.
Result<std::string> encode_schema(const StoredSchema& schema);
Result<StoredSchema> decode_schema(std::string_view json);
// A subject's versions: {subject, versions: [{version, schema_id, schema_digest, deleted}]}.
Result<std::string> encode_subject(const std::string& subject,
                                   const std::vector<SubjectVersion>& versions);
Result<std::vector<SubjectVersion>> decode_subject(std::string_view json);
// The settings: {"compatibility": {subject: level}, "mode": {subject: mode}} (subject "": the
// registry's).
using SubjectSettings = std::map<std::string, std::string>;
Result<std::string> encode_settings(const SubjectSettings& compatibility,
                                    const SubjectSettings& mode);
Result<std::pair<SubjectSettings, SubjectSettings>> decode_settings(std::string_view json);

}  // namespace spoke::fsjson
