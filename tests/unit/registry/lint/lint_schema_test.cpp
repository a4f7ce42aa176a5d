#include "registry/lint/lint_schema.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "registry/proto_compiler.hpp"
#include "tests/unit/registry/lint/lint_test_support.hpp"

namespace spoke {
namespace {

namespace pb = google::protobuf;

using testing::compile_ok;
using testing::describe;
using testing::lines;
using testing::paths_of;

std::vector<LintWarning> lint(const std::vector<ProtoFile>& files,
                              std::vector<VersionSnapshotPtr> dependencies = {}) {
    const CompiledSchema schema = compile_ok(files, std::move(dependencies));
    auto warnings = lint_schema(schema.descriptor_set, paths_of(files));
    EXPECT_TRUE(warnings.ok()) << (warnings.ok() ? "" : warnings.error().message);
    return warnings.ok() ? std::move(warnings).value() : std::vector<LintWarning>{};
}

std::vector<LintWarning> lint_one(const std::string& content) {
    return lint({ProtoFile{"a/x.proto", content}});
}

std::vector<LintWarning> with_rule(const std::vector<LintWarning>& all, std::string_view rule) {
    std::vector<LintWarning> out;
    for (const auto& w : all) {
        if (w.rule == rule) out.push_back(w);
    }
    return out;
}

VersionSnapshotPtr snapshot(std::string module, std::vector<ProtoFile> files) {
    auto s = std::make_shared<VersionSnapshot>();
    s->record.module_name = std::move(module);
    s->record.version = "1.0.0";
    s->files = std::move(files);
    return s;
}

// A file that breaks no rule; each test adds the one construct it is about.
const std::string kClean = lines({
    "syntax = \"proto3\";",
    "package a.v1;",
    "message GoodMessage {",
    "  string field_name = 1;",
    "  map<string, int32> counts_by_name = 2;",
    "  oneof choice { int32 option_a = 3; }",
    "  message Inner { int32 inner_value = 1; }",
    "}",
    "enum Status {",
    "  STATUS_UNSPECIFIED = 0;",
    "  STATUS_ACTIVE = 1;",
    "}",
    "service GoodService {",
    "  rpc GetThing(GoodMessage) returns (GoodMessage);",
    "}",
});

// --- every rule, not flagged ------------------------------------------------------------------

TEST(Lint, CleanFileHasNoWarnings) {
    auto warnings = lint_one(kClean);
    EXPECT_TRUE(warnings.empty()) << describe(warnings);
}

// --- PACKAGE_DEFINED ----------------------------------------------------------------------------

TEST(Lint, PackageDefined) {
    auto warnings = lint_one(lines({
        "// no package here",
        "syntax = \"proto3\";",
        "message GoodMessage {}",
    }));
    auto found = with_rule(warnings, lint_rule::kPackageDefined);
    ASSERT_EQ(found.size(), 1u) << describe(warnings);
    EXPECT_EQ(found[0].file, "a/x.proto");
    EXPECT_EQ(found[0].line, 2);  // the syntax statement stands in for the missing package
    EXPECT_EQ(found[0].column, 1);
    EXPECT_EQ(warnings.size(), 1u) << describe(warnings);
}

// --- MESSAGE_PASCAL_CASE ----------------------------------------------------------------------

TEST(Lint, MessagePascalCase) {
    auto warnings = lint_one(lines({
        "syntax = \"proto3\";",
        "package a.v1;",
        "message bad_message {",
        "  message innerBad {}",
        "  message InnerGood {}",
        "  map<string, string> labels = 1;",
        "}",
        "message HTTPRequest {}",
    }));
    auto found = with_rule(warnings, lint_rule::kMessagePascalCase);
    ASSERT_EQ(found.size(), 2u) << describe(warnings);
    EXPECT_EQ(found[0].line, 3);
    EXPECT_EQ(found[0].column, 9);  // the name, not the keyword
    EXPECT_NE(found[0].message.find("\"bad_message\""), std::string::npos) << found[0].message;
    EXPECT_NE(found[0].message.find("\"BadMessage\""), std::string::npos) << found[0].message;
    EXPECT_EQ(found[1].line, 4);
    EXPECT_NE(found[1].message.find("\"innerBad\""), std::string::npos) << found[1].message;
    // The synthesized LabelsEntry and the acronym-led HTTPRequest are fine.
    EXPECT_EQ(warnings.size(), 2u) << describe(warnings);
}

// --- FIELD_LOWER_SNAKE_CASE -------------------------------------------------------------------

TEST(Lint, FieldLowerSnakeCase) {
    auto warnings = lint_one(lines({
        "syntax = \"proto3\";",
        "package a.v1;",
        "message GoodMessage {",
        "  string fieldName = 1;",
        "  string good_name = 2;",
        "  oneof choice {",
        "    int32 Bad_Choice = 3;",
        "  }",
        "  string name2 = 4;",
        "  map<string, int32> counts = 5;",
        "}",
    }));
    auto found = with_rule(warnings, lint_rule::kFieldLowerSnakeCase);
    ASSERT_EQ(found.size(), 2u) << describe(warnings);
    EXPECT_EQ(found[0].line, 4);
    EXPECT_EQ(found[0].column, 10);
    EXPECT_NE(found[0].message.find("\"field_name\""), std::string::npos) << found[0].message;
    EXPECT_EQ(found[1].line, 7);
    EXPECT_EQ(found[1].column, 11);
    EXPECT_EQ(warnings.size(), 2u) << describe(warnings);
}

TEST(Lint, ExtensionNamesAreFieldNames) {
    auto warnings = lint_one(lines({
        "syntax = \"proto2\";",
        "package a.v1;",
        "message Host {",
        "  extensions 100 to 200;",
        "}",
        "extend Host {",
        "  optional int32 badExt = 100;",
        "  optional int32 good_ext = 101;",
        "}",
    }));
    auto found = with_rule(warnings, lint_rule::kFieldLowerSnakeCase);
    ASSERT_EQ(found.size(), 1u) << describe(warnings);
    EXPECT_EQ(found[0].line, 7);
    EXPECT_EQ(warnings.size(), 1u) << describe(warnings);
}

// --- ENUM_PASCAL_CASE, ENUM_VALUE_UPPER_SNAKE_CASE --------------------------------------------

TEST(Lint, EnumPascalCase) {
    auto warnings = lint_one(lines({
        "syntax = \"proto3\";",
        "package a.v1;",
        "enum bad_enum {",
        "  BAD_ENUM_UNSPECIFIED = 0;",
        "}",
        "message GoodMessage {",
        "  enum Kind { KIND_UNSPECIFIED = 0; }",
        "}",
    }));
    auto found = with_rule(warnings, lint_rule::kEnumPascalCase);
    ASSERT_EQ(found.size(), 1u) << describe(warnings);
    EXPECT_EQ(found[0].line, 3);
    EXPECT_EQ(found[0].column, 6);
    EXPECT_NE(found[0].message.find("\"BadEnum\""), std::string::npos) << found[0].message;
    EXPECT_EQ(warnings.size(), 1u) << describe(warnings);
}

TEST(Lint, EnumValueUpperSnakeCase) {
    auto warnings = lint_one(lines({
        "syntax = \"proto3\";",
        "package a.v1;",
        "enum Color {",
        "  COLOR_UNSPECIFIED = 0;",
        "  colorRed = 1;",
        "  COLOR_GREEN = 2;",
        "  COLOR__BLUE = 3;",
        "}",
    }));
    auto found = with_rule(warnings, lint_rule::kEnumValueUpperSnakeCase);
    ASSERT_EQ(found.size(), 2u) << describe(warnings);
    EXPECT_EQ(found[0].line, 5);
    EXPECT_EQ(found[0].column, 3);
    EXPECT_NE(found[0].message.find("\"COLOR_RED\""), std::string::npos) << found[0].message;
    EXPECT_EQ(found[1].line, 7);
    EXPECT_EQ(warnings.size(), 2u) << describe(warnings);
}

// --- ENUM_ZERO_VALUE_SUFFIX -------------------------------------------------------------------

TEST(Lint, EnumZeroValueSuffix) {
    auto warnings = lint_one(lines({
        "syntax = \"proto3\";",
        "package a.v1;",
        "enum HTTPMethod {",
        "  HTTP_METHOD_UNSPECIFIED = 0;",
        "}",
        "enum Size {",
        "  SIZE_UNKNOWN = 0;",
        "}",
        "enum Shape {",
        "  COLOR_UNSPECIFIED = 0;",
        "}",
        "enum Mode {",
        "  option allow_alias = true;",
        "  MODE_UNSPECIFIED = 0;",
        "  MODE_DEFAULT = 0;",
        "}",
    }));
    auto found = with_rule(warnings, lint_rule::kEnumZeroValueSuffix);
    ASSERT_EQ(found.size(), 2u) << describe(warnings);
    EXPECT_EQ(found[0].line, 7);
    EXPECT_EQ(found[0].column, 3);
    EXPECT_NE(found[0].message.find("\"SIZE_UNSPECIFIED\""), std::string::npos) << found[0].message;
    EXPECT_EQ(found[1].line, 10);  // the suffix alone is not enough: the prefix is the enum's
    EXPECT_NE(found[1].message.find("\"SHAPE_UNSPECIFIED\""), std::string::npos)
        << found[1].message;
    EXPECT_EQ(warnings.size(), 2u) << describe(warnings);
}

// --- ENUM_FIRST_VALUE_ZERO --------------------------------------------------------------------

TEST(Lint, EnumFirstValueZeroInProto2) {
    auto warnings = lint_one(lines({
        "syntax = \"proto2\";",
        "package a.v1;",
        "enum Level {",
        "  LEVEL_LOW = 1;",
        "  LEVEL_UNSPECIFIED = 0;",
        "}",
        "enum Grade {",
        "  GRADE_UNSPECIFIED = 0;",
        "  GRADE_A = 1;",
        "}",
        "enum Rank {",
        "  RANK_FIRST = 1;",
        "}",
    }));
    auto found = with_rule(warnings, lint_rule::kEnumFirstValueZero);
    ASSERT_EQ(found.size(), 2u) << describe(warnings);
    EXPECT_EQ(found[0].line, 4);
    EXPECT_EQ(found[0].column, 15);  // the number
    EXPECT_NE(found[0].message.find("\"LEVEL_LOW\""), std::string::npos) << found[0].message;
    EXPECT_EQ(found[1].line, 12);
    // Level's zero value is well named even though it is not first; Rank has none to name.
    EXPECT_EQ(warnings.size(), 2u) << describe(warnings);
}

// --- SERVICE_PASCAL_CASE, RPC_PASCAL_CASE -----------------------------------------------------

TEST(Lint, ServiceAndRpcPascalCase) {
    auto warnings = lint_one(lines({
        "syntax = \"proto3\";",
        "package a.v1;",
        "message GoodMessage {}",
        "service bad_service {",
        "  rpc get_thing(GoodMessage) returns (GoodMessage);",
        "  rpc PutThing(GoodMessage) returns (GoodMessage);",
        "}",
        "service GoodService {",
        "  rpc listThings(GoodMessage) returns (stream GoodMessage);",
        "}",
    }));
    auto services = with_rule(warnings, lint_rule::kServicePascalCase);
    ASSERT_EQ(services.size(), 1u) << describe(warnings);
    EXPECT_EQ(services[0].line, 4);
    EXPECT_EQ(services[0].column, 9);
    EXPECT_NE(services[0].message.find("\"BadService\""), std::string::npos);
    auto rpcs = with_rule(warnings, lint_rule::kRpcPascalCase);
    ASSERT_EQ(rpcs.size(), 2u) << describe(warnings);
    EXPECT_EQ(rpcs[0].line, 5);
    EXPECT_EQ(rpcs[0].column, 7);
    EXPECT_NE(rpcs[0].message.find("\"GetThing\""), std::string::npos);
    EXPECT_EQ(rpcs[1].line, 9);
    EXPECT_NE(rpcs[1].message.find("\"ListThings\""), std::string::npos);
    EXPECT_EQ(warnings.size(), 3u) << describe(warnings);
}

// --- FIELD_NUMBER_RESERVED_RANGE --------------------------------------------------------------

TEST(Lint, FieldsInTheImplementationRangeAreCompileErrorsNotLint) {
    auto compiled = compile_schema(
        CompileRequest{{{"a/x.proto", lines({"syntax = \"proto3\";", "package a.v1;",
                                             "message GoodMessage { int32 x = 19500; }"})}},
                       {},
                       true},
        {});
    ASSERT_FALSE(compiled.ok());
    EXPECT_EQ(compiled.error().code, ErrorCode::InvalidProto);
    EXPECT_NE(compiled.error().message.find("19000"), std::string::npos)
        << compiled.error().message;
}

TEST(Lint, ExtensionRangesBoundedInTheImplementationRange) {
    auto warnings = lint_one(lines({
        "syntax = \"proto2\";",
        "package a.v1;",
        "message Whole {",
        "  extensions 19000 to 19999;",
        "}",
        "message Straddle {",
        "  extensions 100 to 200, 18500 to 19100;",
        "}",
        "message Spans {",
        "  extensions 1000 to max;",
        "}",
        "message Outside {",
        "  extensions 100 to 18999, 20000 to 30000;",
        "  reserved 19000 to 19999;",
        "}",
        "enum Code {",
        "  CODE_UNSPECIFIED = 0;",
        "  CODE_X = 19500;",
        "}",
    }));
    auto found = with_rule(warnings, lint_rule::kFieldNumberReservedRange);
    ASSERT_EQ(found.size(), 2u) << describe(warnings);
    EXPECT_EQ(found[0].line, 4);
    EXPECT_EQ(found[0].column, 14);
    EXPECT_NE(found[0].message.find("19000 to 19999 of message \"Whole\""), std::string::npos)
        << found[0].message;
    EXPECT_EQ(found[1].line, 7);
    EXPECT_EQ(found[1].column, 26);  // the second range of the statement
    EXPECT_NE(found[1].message.find("18500 to 19100"), std::string::npos) << found[1].message;
    EXPECT_EQ(warnings.size(), 2u) << describe(warnings);
}

// --- IMPORT_USED ------------------------------------------------------------------------------

TEST(Lint, ImportUsed) {
    const std::vector<ProtoFile> files = {
        {"a/common.proto", lines({"syntax = \"proto3\";", "package a.v1;", "message Common {}"})},
        {"a/other.proto", lines({"syntax = \"proto3\";", "package a.v1;", "message Other {}"})},
        {"a/user.proto", lines({
                             "syntax = \"proto3\";",
                             "package a.v1;",
                             "import \"a/common.proto\";",
                             "import \"a/other.proto\";",
                             "import \"google/protobuf/empty.proto\";",
                             "message User { Common c = 1; }",
                         })},
    };
    auto warnings = lint(files);
    auto found = with_rule(warnings, lint_rule::kImportUsed);
    ASSERT_EQ(found.size(), 2u) << describe(warnings);
    EXPECT_EQ(found[0].file, "a/user.proto");
    EXPECT_EQ(found[0].line, 4);
    EXPECT_EQ(found[0].column, 1);
    EXPECT_NE(found[0].message.find("a/other.proto"), std::string::npos) << found[0].message;
    EXPECT_EQ(found[1].line, 5);
    EXPECT_NE(found[1].message.find("google/protobuf/empty.proto"), std::string::npos);
    EXPECT_EQ(warnings.size(), 2u) << describe(warnings);
}

TEST(Lint, ImportsUsedForOptionsOrReExportedAreUsed) {
    const std::vector<ProtoFile> files = {
        {"a/opts.proto", lines({
                             "syntax = \"proto3\";",
                             "package a.v1;",
                             "import \"google/protobuf/descriptor.proto\";",
                             "extend google.protobuf.FieldOptions { int32 tag = 50001; }",
                             "extend google.protobuf.FileOptions { int32 file_tag = 50002; }",
                         })},
        {"a/base.proto", lines({"syntax = \"proto3\";", "package a.v1;", "message Base {}"})},
        {"a/facade.proto",
         lines({"syntax = \"proto3\";", "package a.v1;", "import public \"a/base.proto\";"})},
        {"a/field_opt.proto", lines({
                                  "syntax = \"proto3\";",
                                  "package a.v1;",
                                  "import \"a/opts.proto\";",
                                  "message Tagged { int32 x = 1 [(a.v1.tag) = 3]; }",
                              })},
        {"a/file_opt.proto", lines({
                                 "syntax = \"proto3\";",
                                 "package a.v1;",
                                 "import \"a/opts.proto\";",
                                 "option (a.v1.file_tag) = 4;",
                             })},
        {"a/via_facade.proto", lines({
                                   "syntax = \"proto3\";",
                                   "package a.v1;",
                                   "import \"a/facade.proto\";",
                                   "message Derived { Base b = 1; }",
                               })},
    };
    auto warnings = lint(files);
    EXPECT_TRUE(with_rule(warnings, lint_rule::kImportUsed).empty()) << describe(warnings);
}

// --- scope and plumbing -----------------------------------------------------------------------

TEST(Lint, DependenciesAreNotLinted) {
    auto dep = snapshot("dep", {{"dep/bad.proto", lines({
                                                      "syntax = \"proto3\";",
                                                      "message bad_message { int32 Bad = 1; }",
                                                  })}});
    const std::vector<ProtoFile> files = {
        {"a/x.proto", lines({"syntax = \"proto3\";", "package a.v1;", "import \"dep/bad.proto\";",
                             "message GoodMessage { bad_message m = 1; }"})}};
    auto warnings = lint(files, {dep});
    EXPECT_TRUE(warnings.empty()) << describe(warnings);
}

TEST(Lint, WarningsAreSortedByFileThenPosition) {
    const std::vector<ProtoFile> files = {
        {"b.proto", lines({"syntax = \"proto3\";", "package b;", "message bad_b {}"})},
        {"a.proto",
         lines({"syntax = \"proto3\";", "message bad_a { int32 Z = 1; }", "enum e { x = 0; }"})},
    };
    auto warnings = lint(files);
    ASSERT_EQ(warnings.size(), 7u) << describe(warnings);
    std::vector<std::string> rules;
    for (const auto& w : warnings) rules.push_back(w.file + ":" + w.rule);
    EXPECT_EQ(rules, (std::vector<std::string>{
                         "a.proto:PACKAGE_DEFINED", "a.proto:MESSAGE_PASCAL_CASE",
                         "a.proto:FIELD_LOWER_SNAKE_CASE", "a.proto:ENUM_PASCAL_CASE",
                         "a.proto:ENUM_VALUE_UPPER_SNAKE_CASE", "a.proto:ENUM_ZERO_VALUE_SUFFIX",
                         "b.proto:MESSAGE_PASCAL_CASE"}))
        << describe(warnings);
}

TEST(Lint, WithoutSourceInfoPositionsAreZero) {
    const std::vector<ProtoFile> files = {
        {"a/x.proto", lines({"syntax = \"proto3\";", "message bad_message {}"})}};
    const CompiledSchema schema = compile_ok(files, {}, false);
    auto warnings = lint_schema(schema.descriptor_set, paths_of(files));
    ASSERT_TRUE(warnings.ok()) << warnings.error().message;
    ASSERT_EQ(warnings->size(), 2u) << describe(*warnings);
    for (const auto& w : *warnings) {
        EXPECT_EQ(w.line, 0) << describe(*warnings);
        EXPECT_EQ(w.column, 0);
    }
}

TEST(Lint, RejectsUnusableDescriptorSets) {
    auto garbage = lint_schema("\xff\xff\xff", {"a.proto"});
    ASSERT_FALSE(garbage.ok());
    EXPECT_EQ(garbage.error().code, ErrorCode::InvalidProto);

    const CompiledSchema schema = compile_ok({{"a.proto", kClean}});
    auto missing = lint_schema(schema.descriptor_set, {"not/there.proto"});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("not/there.proto"), std::string::npos);

    // A set whose files are not in dependency order does not link.
    pb::FileDescriptorSet set;
    ASSERT_TRUE(set.ParseFromString(
        compile_ok({{"a.proto", kClean},
                    {"b.proto", lines({"syntax = \"proto3\";", "package a.v1;",
                                       "import \"a.proto\";", "message B { Status s = 1; }"})}})
            .descriptor_set));
    ASSERT_EQ(set.file_size(), 2);
    set.mutable_file()->SwapElements(0, 1);
    auto unlinked = lint_schema(set.SerializeAsString(), {"a.proto", "b.proto"});
    ASSERT_FALSE(unlinked.ok());
    EXPECT_EQ(unlinked.error().code, ErrorCode::InvalidProto);
}

}  // namespace
}  // namespace spoke
