#include "registry/lint/compiler_warnings.hpp"

#include <algorithm>
#include <string_view>
#include <tuple>

namespace spoke {
namespace {

// libprotobuf's wording: "Import foo/bar.proto is unused."
bool is_unused_import(std::string_view message) {
    return message.starts_with("Import ") && message.ends_with(" is unused.");
}

bool reported_by_lint(const ProtoDiagnostic& d, const std::vector<LintWarning>& lint) {
    return std::any_of(lint.begin(), lint.end(), [&](const LintWarning& w) {
        return w.rule == lint_rule::kImportUsed && w.file == d.file &&
               (w.message == d.message || (w.line != 0 && w.line == d.line));
    });
}

}  // namespace

std::vector<LintWarning> merge_compiler_warnings(const std::vector<ProtoDiagnostic>& compiler,
                                                 std::vector<LintWarning> lint) {
    std::vector<LintWarning> merged = std::move(lint);
    for (const ProtoDiagnostic& d : compiler) {
        const bool unused_import = is_unused_import(d.message);
        if (unused_import && reported_by_lint(d, merged)) continue;
        merged.push_back(
            {std::string(unused_import ? lint_rule::kImportUsed : lint_rule::kCompiler), d.file,
             d.line, d.column, d.message});
    }
    std::stable_sort(merged.begin(), merged.end(), [](const LintWarning& a, const LintWarning& b) {
        return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
    });
    return merged;
}

}  // namespace spoke
