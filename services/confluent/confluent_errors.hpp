#pragma once
// The Confluent dialect's errors (docs/confluent.md, "Errors"): an ErrorCode for the status and
// Confluent's error_code in Error::dialect_code.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace spoke::confluent_errors {

Error subject_not_found(std::string_view subject);                    // 404 40401
Error version_not_found(std::string_view subject, int64_t v);         // 404 40402
Error schema_not_found(std::string message);                          // 404 40403
Error subject_not_soft_deleted(std::string_view subject);             // 404 40405
Error version_not_soft_deleted(std::string_view subject, int64_t v);  // 404 40407
Error no_subject_level(std::string_view subject);                     // 404 40408
Error no_subject_mode(std::string_view subject);                      // 404 40409
Error incompatible(std::string message);                              // 409 409
Error invalid_schema(std::string message);                            // 422 42201
Error invalid_version(std::string_view text);                         // 422 42202
Error invalid_level(std::string_view level);                          // 422 42203
Error invalid_mode(std::string_view mode);                            // 422 42204
Error not_permitted(std::string message);                             // 422 42205
Error referenced(std::string_view subject, int64_t v);                // 422 42206
Error invalid_subject(std::string message);                           // 422 42208

// A compile or reference error (InvalidProto, UnresolvedImport, ...) as 42201 with its details
// folded into the message; other errors (Unavailable, Internal) unchanged.
Error as_invalid_schema(Error e);

}  // namespace spoke::confluent_errors
