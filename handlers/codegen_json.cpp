#include "handlers/codegen_json.hpp"

#include <algorithm>

namespace spoke {
namespace {

Error field_error(std::string_view label, std::string_view rule) {
    return Error::bad_request(quote_value(label).append(" ").append(rule));
}

}  // namespace

JsonPtr languages_to_json(const LanguageCatalog& catalog) {
    JsonPtr list(json_array());
    for (const LanguageInfo& l : catalog.languages()) {
        JsonPtr o(json_object());
        json_object_set_new(o.get(), "id", json_text(l.id).release());
        json_object_set_new(o.get(), "name", json_text(l.name).release());
        json_object_set_new(o.get(), "supports_grpc", json_boolean(l.supports_grpc()));
        JsonPtr extensions(json_array());
        for (const std::string& e : l.file_extensions) {
            json_array_append_new(extensions.get(), json_text(e).release());
        }
        json_object_set_new(o.get(), "file_extensions", extensions.release());
        json_object_set_new(o.get(), "generator", json_text(l.generator).release());
        json_array_append_new(list.get(), o.release());
    }
    return list;
}

Result<CompileRequestBody> decode_compile_request(const json_t* body) {
    CompileRequestBody out;
    const json_t* languages = json_object_get(body, "languages");
    if (languages == nullptr || json_is_null(languages)) {
        return field_error("languages", "is required");
    }
    if (!json_is_array(languages) || json_array_size(languages) == 0) {
        return field_error("languages", "must be a non-empty array of language ids");
    }
    size_t i = 0;
    const json_t* item = nullptr;
    json_array_foreach(languages, i, item) {
        const std::string label = "languages[" + std::to_string(i) + "]";
        if (!json_is_string(item)) return field_error(label, "must be a string");
        std::string id(json_string_value(item), json_string_length(item));
        if (std::find(out.languages.begin(), out.languages.end(), id) != out.languages.end()) {
            return field_error(label, "repeats " + quote_value(id));
        }
        out.languages.push_back(std::move(id));
    }
    const json_t* grpc = json_object_get(body, "include_grpc");
    if (grpc != nullptr && !json_is_null(grpc)) {
        if (!json_is_boolean(grpc)) return field_error("include_grpc", "must be true or false");
        out.include_grpc = json_is_true(grpc);
    }
    return out;
}

JsonPtr compile_job_to_json(const std::string& job_id, const CompileJob& job, int64_t now_ms) {
    JsonPtr results(json_array());
    for (const CompileJobEntry& entry : job.results) {
        const GenerationProgress::View v = entry.progress->view(now_ms);
        JsonPtr o(json_object());
        json_object_set_new(o.get(), "language", json_text(entry.language).release());
        json_object_set_new(o.get(), "status", json_text(stage_name(v.stage)).release());
        json_object_set_new(o.get(), "cache_hit", json_boolean(entry.cache_hit));
        json_object_set_new(o.get(), "duration_ms", json_integer(v.duration_ms));
        if (!v.artifact_sha256.empty()) {
            json_object_set_new(o.get(), "artifact_sha256", json_text(v.artifact_sha256).release());
        }
        if (!v.error.empty()) json_object_set_new(o.get(), "error", json_text(v.error).release());
        json_array_append_new(results.get(), o.release());
    }
    JsonPtr body(json_object());
    json_object_set_new(body.get(), "job_id", json_text(job_id).release());
    json_object_set_new(body.get(), "results", results.release());
    return body;
}

}  // namespace spoke
