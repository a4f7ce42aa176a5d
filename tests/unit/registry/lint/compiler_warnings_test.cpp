#include "registry/lint/compiler_warnings.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "registry/lint/lint_schema.hpp"
#include "registry/proto_compiler.hpp"
#include "tests/unit/registry/lint/lint_test_support.hpp"

namespace spoke {
namespace {

using testing::compile_ok;
using testing::describe;
using testing::lines;
using testing::paths_of;

// --- merge_compiler_warnings ------------------------------------------------------------------

TEST(MergeCompilerWarnings, DropsUnusedImportsTheLintReported) {
    const std::vector<ProtoFile> files = {
        {"a/common.proto", lines({"syntax = \"proto3\";", "package a.v1;", "message Common {}"})},
        {"a/user.proto", lines({"syntax = \"proto3\";", "package a.v1;",
                                "import \"a/common.proto\";", "message User {}"})},
    };
    const CompiledSchema schema = compile_ok(files);
    ASSERT_EQ(schema.warnings.size(), 1u);  // the compiler's own unused-import warning
    auto lint = lint_schema(schema.descriptor_set, paths_of(files));
    ASSERT_TRUE(lint.ok());
    auto merged = merge_compiler_warnings(schema.warnings, *lint);
    ASSERT_EQ(merged.size(), 1u) << describe(merged);
    EXPECT_EQ(merged[0].rule, "IMPORT_USED");
    EXPECT_EQ(merged[0].file, "a/user.proto");
    EXPECT_EQ(merged[0].line, 3);
    EXPECT_EQ(merged[0].line, schema.warnings[0].line);
    EXPECT_EQ(merged[0].column, schema.warnings[0].column);
}

TEST(MergeCompilerWarnings, KeepsWhatTheLintDidNotReport) {
    const std::vector<ProtoDiagnostic> compiler = {
        {"b.proto", 3, 1, "Import x.proto is unused."},
        {"a.proto", 0, 0, "No syntax specified for the proto file: a.proto."},
    };
    const std::vector<LintWarning> lint = {
        {"MESSAGE_PASCAL_CASE", "a.proto", 2, 9, "Message name \"m\" should be PascalCase."},
    };
    auto merged = merge_compiler_warnings(compiler, lint);
    ASSERT_EQ(merged.size(), 3u) << describe(merged);
    EXPECT_EQ(merged[0].rule, "COMPILER");  // a.proto, line 0 sorts first
    EXPECT_EQ(merged[1].rule, "MESSAGE_PASCAL_CASE");
    EXPECT_EQ(merged[2].rule, "IMPORT_USED");
    EXPECT_EQ(merged[2].file, "b.proto");
    EXPECT_EQ(merged[2].line, 3);
}

}  // namespace
}  // namespace spoke
