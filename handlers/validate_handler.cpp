#include "handlers/validate_handler.hpp"

#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "registry/names.hpp"
#include "registry/push_request.hpp"

namespace spoke {
namespace {

// validate_push checks names too; these stand in for the ones a validation does not have.
constexpr const char* kPlaceholderModule = "validate";
constexpr const char* kPlaceholderVersion = "0.0.0";

// {valid, errors, warnings}: 200 when valid, else 422.
void reply_verdict(HttpExchange& ex, const std::vector<ProtoDiagnostic>& errors,
                   const std::vector<LintWarning>& warnings) {
    JsonPtr body(json_object());
    json_object_set_new(body.get(), "valid", json_boolean(errors.empty()));
    json_object_set_new(body.get(), "errors", diagnostics_to_json(errors).release());
    json_object_set_new(body.get(), "warnings", lint_warnings_to_json(warnings).release());
    reply_json(ex, errors.empty() ? 200 : 422, body.get());
}

// A schema problem (the client's 422), as diagnostics; nullopt for other failures.
std::optional<std::vector<ProtoDiagnostic>> schema_problems(const Error& e) {
    if (e.code != ErrorCode::InvalidProto && e.code != ErrorCode::UnresolvedImport &&
        e.code != ErrorCode::UnknownDependency) {
        return std::nullopt;
    }
    if (!e.details.empty()) return e.details;
    return std::vector<ProtoDiagnostic>{ProtoDiagnostic{"", 0, 0, e.message}};
}

void reply_failure(HttpExchange& ex, const Error& e) {
    if (auto problems = schema_problems(e)) return reply_verdict(ex, *problems, {});
    reply_error(ex, e);
}

}  // namespace

void ValidateHandler::validate(HttpExchange& ex, const RouteParams&) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto request = decode_validate_request(body->get());
    if (!request) return reply_error(ex, request.error());
    body.reset();

    std::vector<VersionRef> roots;
    for (size_t i = 0; i < request->dependencies.size(); ++i) {
        auto ref = parse_dependency_ref(request->dependencies[i]);
        if (!ref) {
            return reply_error(ex, Error::bad_request("dependencies[" + std::to_string(i) +
                                                      "]: " + ref.error().message));
        }
        roots.push_back(std::move(ref).value());
    }
    PushRequest push{kPlaceholderModule, kPlaceholderVersion, std::move(request->files), {}, {}};
    auto validated = validate_push(std::move(push), app_.env.limits);
    if (!validated) return reply_error(ex, validated.error());

    app_.validate.validate(
        ValidateInput{std::move(validated->files), std::move(roots), ex.lifetime_guard()},
        [handle = ex.handle()](Result<std::vector<LintWarning>> warnings) {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!warnings) return reply_failure(*ex, warnings.error());
            reply_verdict(*ex, {}, *warnings);
        });
}

}  // namespace spoke
