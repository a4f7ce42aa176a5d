#include "services/confluent/confluent_errors.hpp"

#include <utility>

namespace spoke::confluent_errors {
namespace {

Error make(ErrorCode code, int dialect_code, std::string message) {
    Error e{code, std::move(message), {}};
    e.dialect_code = dialect_code;
    return e;
}

std::string subject_version(std::string_view subject, int64_t v) {
    return "version " + std::to_string(v) + " of subject " + quote_value(subject);
}

}  // namespace

Error subject_not_found(std::string_view subject) {
    return make(ErrorCode::NotFound, 40401, "subject " + quote_value(subject) + " not found");
}
Error version_not_found(std::string_view subject, int64_t v) {
    return make(ErrorCode::NotFound, 40402, subject_version(subject, v) + " not found");
}
Error schema_not_found(std::string message) {
    return make(ErrorCode::NotFound, 40403, std::move(message));
}
Error subject_not_soft_deleted(std::string_view subject) {
    return make(ErrorCode::NotFound, 40405,
                "subject " + quote_value(subject) +
                    " was not soft-deleted first; delete it without permanent=true before");
}
Error version_not_soft_deleted(std::string_view subject, int64_t v) {
    return make(ErrorCode::NotFound, 40407,
                subject_version(subject, v) +
                    " was not soft-deleted first; delete it without permanent=true before");
}
Error no_subject_level(std::string_view subject) {
    return make(ErrorCode::NotFound, 40408,
                "subject " + quote_value(subject) + " has no compatibility level of its own");
}
Error no_subject_mode(std::string_view subject) {
    return make(ErrorCode::NotFound, 40409,
                "subject " + quote_value(subject) + " has no mode of its own");
}
Error incompatible(std::string message) {
    return make(ErrorCode::Incompatible, 409, std::move(message));
}
Error invalid_schema(std::string message) {
    return make(ErrorCode::InvalidProto, 42201, std::move(message));
}
Error invalid_version(std::string_view text) {
    return make(ErrorCode::InvalidProto, 42202,
                "version " + quote_value(text) +
                    " is not valid: a positive 32-bit integer, \"latest\" or \"-1\"");
}
Error invalid_level(std::string_view level) {
    return make(ErrorCode::InvalidProto, 42203,
                "compatibility level " + quote_value(level) +
                    " is not valid: one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, "
                    "FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE");
}
Error invalid_mode(std::string_view mode) {
    return make(ErrorCode::InvalidProto, 42204,
                "mode " + quote_value(mode) +
                    " is not valid: one of READWRITE, READONLY, READONLY_OVERRIDE, IMPORT");
}
Error not_permitted(std::string message) {
    return make(ErrorCode::InvalidProto, 42205, std::move(message));
}
Error referenced(std::string_view subject, int64_t v) {
    return make(ErrorCode::InvalidProto, 42206,
                subject_version(subject, v) +
                    " is referenced by a live schema; delete the schemas that reference it first");
}
Error invalid_subject(std::string message) {
    return make(ErrorCode::InvalidProto, 42208, std::move(message));
}

Error as_invalid_schema(Error e) {
    switch (e.code) {
        case ErrorCode::InvalidProto:
        case ErrorCode::UnresolvedImport:
        case ErrorCode::UnknownDependency:
        case ErrorCode::BadRequest:
        case ErrorCode::PayloadTooLarge:
            break;
        default:
            return e;
    }
    std::string message = "invalid schema: " + e.message;
    for (const auto& d : e.details) {
        if (e.message.find(d.message) != std::string::npos) continue;  // already said
        message += "; " + d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) +
                   ": " + d.message;
    }
    Error out = invalid_schema(std::move(message));
    out.details = std::move(e.details);
    return out;
}

}  // namespace spoke::confluent_errors
