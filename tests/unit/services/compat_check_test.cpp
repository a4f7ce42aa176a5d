// The compatibility checks of the services: previous-version selection, the check over several
// versions and source-info stripping.

#include "services/compat_check.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "registry/proto_compiler.hpp"
#include "registry/semver.hpp"

namespace spoke {
namespace {

std::vector<VersionRecord> listed(std::vector<std::string> versions) {
    std::vector<VersionRecord> out;
    for (auto& v : versions) {
        VersionRecord r;
        r.module_name = "acme";
        r.version = std::move(v);
        out.push_back(std::move(r));
    }
    sort_newest_first(out);
    return out;
}

std::vector<std::string> names(const std::vector<VersionRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.version);
    return out;
}

TEST(PreviousVersions, AreTheLowerPrecedenceOnesNearestFirst) {
    const auto list = listed({"1.0.0", "v2.0.0", "1.1.0", "2.0.0-rc.1", "0.9.0", "3.0.0"});
    using V = std::vector<std::string>;
    EXPECT_EQ(names(previous_versions(list, "2.0.0", false)), V{"2.0.0-rc.1"});
    EXPECT_EQ(names(previous_versions(list, "2.0.0", true)),
              (V{"2.0.0-rc.1", "1.1.0", "1.0.0", "0.9.0"}));
    // A version between stored ones (a back-ported patch) looks down, not at the newest.
    EXPECT_EQ(names(previous_versions(list, "1.0.1", false)), V{"1.0.0"});
    EXPECT_EQ(names(previous_versions(list, "v1.0.1", true)), (V{"1.0.0", "0.9.0"}));
    EXPECT_TRUE(previous_versions(list, "0.1.0", true).empty());
    EXPECT_EQ(names(previous_versions(list, "9.0.0", false)), V{"3.0.0"});
    // Equal precedence (build metadata) is not earlier.
    EXPECT_EQ(names(previous_versions(list, "1.1.0+build.7", false)), V{"1.0.0"});
    EXPECT_TRUE(previous_versions({}, "1.0.0", true).empty());
    EXPECT_TRUE(previous_versions(list, "not-semver", true).empty());
}

TEST(PreviousVersions, HoldsVersionIgnoresTheLeadingV) {
    const auto list = listed({"v1.0.0", "1.1.0"});
    EXPECT_TRUE(holds_version(list, "1.0.0"));
    EXPECT_TRUE(holds_version(list, "v1.1.0"));
    EXPECT_FALSE(holds_version(list, "1.2.0"));
}

CompiledVersion compiled(std::string version, const std::string& body, bool source_info = true) {
    CompileRequest request{
        {{"acme/user.proto", "syntax = \"proto3\";\npackage acme;\n" + body}}, {}, source_info};
    auto schema = compile_schema(request, {});
    EXPECT_TRUE(schema.ok()) << (schema.ok() ? "" : schema.error().message);
    return CompiledVersion{
        std::move(version),
        std::make_shared<const std::string>(schema.ok() ? schema->descriptor_set : ""),
        {"acme/user.proto"}};
}

TEST(RunCompatCheck, CollectsViolationsOfEveryOlderVersion) {
    const auto v1 = compiled("1.0.0", "message User {\n  int32 age = 1;\n}\n");
    const auto v2 = compiled("2.0.0", "message User {\n  string age = 1;\n}\n");
    const auto v3 = compiled("3.0.0", "message User {\n  string age = 1;\n  string name = 2;\n}\n");

    auto plain = run_compat_check(CompatMode::Backward, v3, {v2}, false);
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_TRUE(plain->compatible());
    EXPECT_EQ(plain->old_version, "2.0.0");
    EXPECT_EQ(plain->new_version, "3.0.0");

    auto transitive = run_compat_check(CompatMode::BackwardTransitive, v3, {v2, v1}, true);
    ASSERT_TRUE(transitive.ok()) << transitive.error().message;
    EXPECT_FALSE(transitive->compatible());
    EXPECT_EQ(transitive->old_version, "2.0.0");
    ASSERT_EQ(transitive->error_count, 1);
    const CompatFinding* error = nullptr;
    for (const auto& f : transitive->findings) {
        if (f.violation.level == ViolationLevel::Error) error = &f;
    }
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->against_version, "1.0.0");
    EXPECT_EQ(error->violation.rule, "FIELD_WIRE_COMPATIBLE_TYPE");
    EXPECT_EQ(error->violation.line, 4);

    auto none = run_compat_check(CompatMode::None, v2, {v1}, false);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->compatible());
    EXPECT_TRUE(none->findings.empty());
    auto first = run_compat_check(CompatMode::Full, v1, {}, false);
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(first->compatible());
    EXPECT_EQ(first->old_version, "");
}

TEST(RunCompatCheck, ASetThatDoesNotParseIsInternal) {
    const auto v1 = compiled("1.0.0", "message User {}\n");
    CompiledVersion broken{
        "2.0.0", std::make_shared<const std::string>("\xff\xff garbage"), {"acme/user.proto"}};
    auto r = run_compat_check(CompatMode::Backward, broken, {v1}, false);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
}

TEST(RunSchemaDiff, ListsChanges) {
    const auto v1 = compiled("1.0.0", "message User {\n  int32 age = 1;\n}\n");
    const auto v2 = compiled("2.0.0", "message User {\n  int32 age = 1;\n  string name = 2;\n}\n");
    auto changes = run_schema_diff(v1, v2);
    ASSERT_TRUE(changes.ok()) << changes.error().message;
    ASSERT_EQ(changes->size(), 1u);
    EXPECT_EQ((*changes)[0].type, "FIELD_ADDED");
    EXPECT_EQ((*changes)[0].severity, "non_breaking");
}

TEST(StripSourceInfo, GivesTheBytesOfAPlainCompile) {
    VersionSnapshotPtr dep = std::make_shared<const VersionSnapshot>(VersionSnapshot{
        {}, {{"base/money.proto", "syntax = \"proto3\";\npackage base;\nmessage Money {}\n"}}});
    const std::string body =
        "syntax = \"proto3\";\npackage acme;\nimport \"base/money.proto\";\n"
        "import \"google/protobuf/timestamp.proto\";\n// A user.\nmessage User {\n"
        "  base.Money balance = 1; // trailing\n  google.protobuf.Timestamp at = 2;\n}\n";
    CompileRequest with_info{{{"acme/user.proto", body}}, {dep}, true};
    CompileRequest without{{{"acme/user.proto", body}}, {dep}, false};
    auto a = compile_schema(with_info, {});
    auto b = compile_schema(without, {});
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_NE(a->descriptor_set, b->descriptor_set);
    auto stripped = strip_source_info(a->descriptor_set);
    ASSERT_TRUE(stripped.ok()) << stripped.error().message;
    EXPECT_EQ(*stripped, b->descriptor_set);
    EXPECT_EQ(strip_source_info("\xff\xff\xff").error().code, ErrorCode::Internal);
}

}  // namespace
}  // namespace spoke
