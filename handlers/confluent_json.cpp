#include "handlers/confluent_json.hpp"

#include <utility>

#include "handlers/error_response.hpp"
#include "services/confluent/confluent_errors.hpp"

namespace spoke {
namespace {

Error field_error(std::string message) {
    return Error::bad_request(std::move(message));
}

Result<std::vector<SchemaReference>> decode_references(const json_t* list) {
    if (!json_is_array(list)) return field_error("\"references\" must be an array");
    std::vector<SchemaReference> out;
    size_t i = 0;
    const json_t* item = nullptr;
    json_array_foreach(list, i, item) {
        const std::string where = "references[" + std::to_string(i) + "]";
        if (!json_is_object(item)) return field_error(where + " must be an object");
        const json_t* name = json_object_get(item, "name");
        const json_t* subject = json_object_get(item, "subject");
        const json_t* version = json_object_get(item, "version");
        if (!json_is_string(name)) return field_error(where + ".name must be a string");
        if (!json_is_string(subject)) return field_error(where + ".subject must be a string");
        if (!json_is_integer(version)) return field_error(where + ".version must be an integer");
        out.push_back(
            SchemaReference{std::string(json_string_value(name), json_string_length(name)),
                            std::string(json_string_value(subject), json_string_length(subject)),
                            json_integer_value(version)});
    }
    return out;
}

JsonPtr references_to_json(const std::vector<SchemaReference>& refs) {
    JsonPtr list(json_array());
    for (const auto& r : refs) {
        JsonPtr o(json_object());
        json_object_set_new(o.get(), "name", json_text(r.name).release());
        json_object_set_new(o.get(), "subject", json_text(r.subject).release());
        json_object_set_new(o.get(), "version", json_integer(r.version));
        json_array_append_new(list.get(), o.release());
    }
    return list;
}

void set_schema_fields(json_t* o, const StoredSchema& schema, const std::string& text) {
    json_object_set_new(o, "schemaType", json_text(schema.schema_type).release());
    json_object_set_new(o, "schema", json_text(text).release());
    if (!schema.references.empty()) {
        json_object_set_new(o, "references", references_to_json(schema.references).release());
    }
}

}  // namespace

Result<SchemaInput> decode_schema_input(const json_t* body, bool registering) {
    SchemaInput in;
    const json_t* schema = json_object_get(body, "schema");
    if (schema == nullptr) return confluent_errors::invalid_schema("\"schema\" is required");
    if (!json_is_string(schema)) return field_error("\"schema\" must be a string");
    in.text.assign(json_string_value(schema), json_string_length(schema));
    const json_t* type = json_object_get(body, "schemaType");
    if (type == nullptr || json_is_null(type)) {
        in.schema_type = "AVRO";  // Confluent's default
    } else if (!json_is_string(type)) {
        return field_error("\"schemaType\" must be a string");
    } else {
        in.schema_type.assign(json_string_value(type), json_string_length(type));
    }
    if (const json_t* refs = json_object_get(body, "references");
        refs != nullptr && !json_is_null(refs)) {
        auto decoded = decode_references(refs);
        if (!decoded) return std::move(decoded).error();
        in.references = std::move(*decoded);
        in.references_given = true;
    }
    if (registering) {
        for (const char* field : {"id", "version"}) {
            const json_t* v = json_object_get(body, field);
            if (v != nullptr && !json_is_null(v)) {
                return confluent_errors::not_permitted(
                    std::string("an explicit \"") + field +
                    "\" is not supported: Spoke allocates ids and versions");
            }
        }
    }
    return in;
}

Result<std::string> decode_setting(const json_t* body, const char* field) {
    const json_t* v = json_object_get(body, field);
    if (!json_is_string(v)) return field_error(std::string("\"") + field + "\" must be a string");
    return std::string(json_string_value(v), json_string_length(v));
}

JsonPtr schema_to_json(const StoredSchema& schema, const std::string& text) {
    JsonPtr o(json_object());
    set_schema_fields(o.get(), schema, text);
    return o;
}

JsonPtr subject_schema_to_json(const SubjectSchema& found, const std::string& text) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "subject", json_text(found.version.subject).release());
    json_object_set_new(o.get(), "version", json_integer(found.version.version));
    json_object_set_new(o.get(), "id", json_integer(found.schema.id));
    set_schema_fields(o.get(), found.schema, text);
    return o;
}

int confluent_error_code(const Error& error) {
    if (error.dialect_code != 0) return error.dialect_code;
    switch (error.code) {
        case ErrorCode::InvalidProto:
        case ErrorCode::UnknownDependency:
        case ErrorCode::UnresolvedImport:
            return 42201;
        case ErrorCode::PayloadTooLarge:
            return 42209;
        case ErrorCode::Unavailable:
            return 50002;
        case ErrorCode::ModuleExists:  // no module is written through the dialect
        case ErrorCode::VersionExists:
        case ErrorCode::Internal:
            return 50001;
        case ErrorCode::BadRequest:
        case ErrorCode::NotFound:
        case ErrorCode::Incompatible:
        case ErrorCode::Unauthorized:
        case ErrorCode::Forbidden:
        case ErrorCode::RateLimited:
            break;
    }
    return http_status_of(error.code);  // 400, 404, 409, 401, 403, 429: Confluent's too
}

std::string confluent_error_body(int error_code, std::string_view message) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "error_code", json_integer(error_code));
    json_object_set_new(o.get(), "message", json_text(message).release());
    return dump_json(o.get());
}

}  // namespace spoke
