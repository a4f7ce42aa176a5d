#include "services/validate_service.hpp"

#include <string>
#include <utility>

#include "reactor/guarded_work.hpp"
#include "reactor/log.hpp"
#include "registry/lint/compiler_warnings.hpp"
#include "registry/lint/lint_schema.hpp"
#include "registry/proto_compiler.hpp"
#include "services/work_admissions.hpp"

namespace spoke {
namespace {

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

}  // namespace

void ValidateService::validate(ValidateInput input,
                               Completion<std::vector<LintWarning>> done) const {
    std::vector<VersionRef> roots = std::move(input.dependencies);
    reader_.closure_contents(
        std::move(roots), [this, files = std::move(input.files), wanted = std::move(input.wanted),
                           done = std::move(done)](Result<ClosureContents> closure) mutable {
            if (!closure) return done(std::move(closure).error());
            CompileRequest request{std::move(files), std::move(closure->snapshots), true};
            run_admitted<std::vector<LintWarning>>(
                env_.pool, env_.loop, env_.admissions.validate, std::move(wanted), "validate",
                [request = std::move(request), limits = env_.limits] {
                    return compile_and_lint(request, limits);
                },
                std::move(done));
        });
}

}  // namespace spoke
