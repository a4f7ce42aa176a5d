#pragma once
// The on-disk JSON of module.json, version.json and tokens/<secret_hash>.json (jansson), with
// strict decoding. Timestamps are integers, milliseconds since the epoch; an optional one that is
// unset is null.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "registry/api_token.hpp"
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

}  // namespace spoke::fsjson
