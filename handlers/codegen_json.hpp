#pragma once
// JSON of the code generation routes: the language list, compile request bodies and job results.

#include <jansson.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "handlers/json_codec.hpp"
#include "registry/codegen/language_catalog.hpp"
#include "services/codegen/codegen_jobs.hpp"

namespace spoke {

// [{id, name, supports_grpc, file_extensions, generator}] in catalog order.
JsonPtr languages_to_json(const LanguageCatalog& catalog);

// Body of POST .../compile: `{languages: [id, ...], include_grpc?}`.
struct CompileRequestBody {
    std::vector<std::string> languages;  // non-empty, no duplicates, not yet checked to exist
    bool include_grpc = false;
};
Result<CompileRequestBody> decode_compile_request(const json_t* body);

// {job_id, results: [{language, status, cache_hit, duration_ms, artifact_sha256?, error?}]}
JsonPtr compile_job_to_json(const std::string& job_id, const CompileJob& job, int64_t now_ms);

}  // namespace spoke
