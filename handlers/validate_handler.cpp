#include "handlers/validate_handler.hpp"

#include <exception>

#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "handlers/schema_loader.hpp"
#include "reactor/log.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/lint/compiler_warnings.hpp"
#include "registry/lint/lint_schema.hpp"
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

// Compiles with source info (the lint's line numbers) and lints: the warnings of both, or the
// compile error. Runs on a worker.
Result<std::vector<LintWarning>> compile_and_lint(const CompileRequest& request,
                                                  const PushLimits& limits) {
    std::vector<std::string> own_files;
    for (const ProtoFile& f : request.files) own_files.push_back(f.path);
    Result<CompiledSchema> compiled = compile_schema(request, limits);
    if (!compiled) return std::move(compiled).error();
    auto lint = lint_schema(compiled->descriptor_set, own_files);
    if (!lint) {
        // Lint findings never block a validation, and the schema compiled: a lint failure is
        // our bug, logged, and the client still gets the compiler's verdict.
        Log::write(LogLevel::Error, "lint failed", {{"error", lint.error().message}});
        return merge_compiler_warnings(compiled->warnings, {});
    }
    return merge_compiler_warnings(compiled->warnings, std::move(*lint));
}

void compile_and_lint_on_pool(LoopServices& services, CompileRequest request,
                              Callback<void(Result<std::vector<LintWarning>>)> done) {
    using Outcome = Result<std::vector<LintWarning>>;
    Callback<Outcome()> work(
        [request = std::move(request), limits = services.settings.limits]() -> Outcome {
            // Nothing may cross the pool boundary (libprotobuf may throw, e.g. bad_alloc).
            try {
                return compile_and_lint(request, limits);
            } catch (const std::exception& e) {
                return Error::internal(std::string("compile_and_lint threw: ") + e.what());
            } catch (...) {
                return Error::internal("compile_and_lint threw");
            }
        });
    services.pool.run<Outcome>(services.loop, std::move(work), std::move(done));
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
    auto validated = validate_push(std::move(push), services_.settings.limits);
    if (!validated) return reply_error(ex, validated.error());

    LoopServices& services = services_;
    load_closure(services, std::move(roots),
                 [&services, handle = ex.handle(),
                  files = std::move(validated->files)](Result<ClosureContents> closure) mutable {
                     HttpExchange* ex = handle.get();
                     if (ex == nullptr) return;
                     if (!closure) return reply_failure(*ex, closure.error());
                     CompileRequest request{std::move(files), std::move(closure->snapshots), true};
                     compile_and_lint_on_pool(services, std::move(request),
                                              [handle](Result<std::vector<LintWarning>> warnings) {
                                                  HttpExchange* ex = handle.get();
                                                  if (ex == nullptr) return;
                                                  if (!warnings)
                                                      return reply_failure(*ex, warnings.error());
                                                  reply_verdict(*ex, {}, *warnings);
                                              });
                 });
}

}  // namespace spoke
