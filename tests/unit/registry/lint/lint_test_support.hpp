#pragma once
// Helpers shared by the lint tests: numbered source lines, a compile that must succeed, and a
// readable dump of warnings for failure messages.

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "registry/lint/lint_warning.hpp"
#include "registry/proto_compiler.hpp"

namespace spoke::testing {

// Line n of the result is the n-th string (1-based), so expected lines read off the source.
inline std::string lines(std::initializer_list<const char*> text) {
    std::string out;
    for (const char* line : text) out += std::string(line) + "\n";
    return out;
}

inline CompiledSchema compile_ok(const std::vector<ProtoFile>& files,
                                 std::vector<VersionSnapshotPtr> dependencies = {},
                                 bool source_info = true) {
    auto compiled = compile_schema(CompileRequest{files, std::move(dependencies), source_info}, {});
    EXPECT_TRUE(compiled.ok()) << (compiled.ok() ? "" : compiled.error().message);
    return compiled.ok() ? std::move(compiled).value() : CompiledSchema{};
}

inline std::vector<std::string> paths_of(const std::vector<ProtoFile>& files) {
    std::vector<std::string> paths;
    for (const auto& f : files) paths.push_back(f.path);
    return paths;
}

inline std::string describe(const std::vector<LintWarning>& all) {
    std::string out;
    for (const auto& w : all) {
        out += w.rule + " " + w.file + ":" + std::to_string(w.line) + ":" +
               std::to_string(w.column) + " " + w.message + "\n";
    }
    return out;
}

}  // namespace spoke::testing
