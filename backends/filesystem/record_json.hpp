#pragma once
// The on-disk JSON of module.json and version.json (jansson), with strict decoding.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke::fsjson {

// {name, description, created_at, updated_at, compatibility}; derived fields are not stored. A
// record without compatibility reads as BACKWARD.
Result<std::string> encode_module(const Module& module);
Result<Module> decode_module(std::string_view json);

// The VersionRecord: {module_name, version, digest, created_at, dependencies, source_info, files}.
Result<std::string> encode_version(const VersionRecord& record);
Result<VersionRecord> decode_version(std::string_view json);

}  // namespace spoke::fsjson
