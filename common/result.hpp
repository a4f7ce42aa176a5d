#pragma once
// Errors as values: every fallible call on the hot path returns Result<T>.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace spoke {

// What went wrong, in terms the HTTP layer maps to a status and a stable code.
enum class ErrorCode {
    BadRequest,         // 400 BAD_REQUEST: malformed body, wrong types, bad names or paths
    NotFound,           // 404 NOT_FOUND
    ModuleExists,       // 409 MODULE_EXISTS
    VersionExists,      // 409 VERSION_EXISTS: same version, different content
    Incompatible,       // 409 INCOMPATIBLE: a push breaks the module's compatibility level
    PayloadTooLarge,    // 413 PAYLOAD_TOO_LARGE
    InvalidProto,       // 422 INVALID_PROTO: parse/link errors, with details
    UnknownDependency,  // 422 UNKNOWN_DEPENDENCY
    UnresolvedImport,   // 422 UNRESOLVED_IMPORT
    Unauthorized,       // 401 UNAUTHORIZED: no valid credential where one is needed
    Forbidden,          // 403 FORBIDDEN: a valid credential without the scope or prefix needed
    RateLimited,        // 429 RATE_LIMITED: too many requests (or failed authentications)
    Unavailable,        // 503 UNAVAILABLE: a dependency is down or a deadline passed
    Internal,  // 500 INTERNAL: a bug or an unexpected I/O failure (message is logged, not shown)
};

// A diagnostic tied to a place in a .proto file (1-based line and column; 0 when unknown).
struct ProtoDiagnostic {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;
};

// A failure: the code, a sentence naming the field or file that was wrong, optional per-file
// details.
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    std::vector<ProtoDiagnostic> details;
    // A finer code an API dialect shows (Confluent's error_code, docs/confluent.md); 0: the
    // dialect derives one from `code`.
    int dialect_code = 0;

    static Error bad_request(std::string m) { return {ErrorCode::BadRequest, std::move(m), {}}; }
    static Error not_found(std::string m) { return {ErrorCode::NotFound, std::move(m), {}}; }
    static Error internal(std::string m) { return {ErrorCode::Internal, std::move(m), {}}; }
    static Error unavailable(std::string m) { return {ErrorCode::Unavailable, std::move(m), {}}; }
    static Error unauthorized(std::string m) { return {ErrorCode::Unauthorized, std::move(m), {}}; }
    static Error forbidden(std::string m) { return {ErrorCode::Forbidden, std::move(m), {}}; }
};

// `s` in double quotes with quotes, backslashes and control bytes escaped: for naming a
// user-supplied value in an error message.
std::string quote_value(std::string_view s);

// Either a value or an Error.
template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& {
        assert(!ok());
        return std::get<1>(v_);
    }
    Error&& error() && {
        assert(!ok());
        return std::get<1>(std::move(v_));
    }

  private:
    std::variant<T, Error> v_;
};

// Result of an operation that yields nothing on success.
struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() {
    return Unit{};
}

}  // namespace spoke
