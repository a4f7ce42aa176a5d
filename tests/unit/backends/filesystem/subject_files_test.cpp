// SubjectFiles: the Confluent dialect's schemas, subjects and settings under <root>/confluent/,
// kept across a reopen (a restart).

#include "backends/filesystem/subject_files.hpp"

#include <gtest/gtest.h>

#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

using test::TempDir;

SubjectRegistration registration(const std::string& subject, const std::string& text,
                                 int64_t expected_latest) {
    SubjectRegistration reg;
    reg.subject = subject;
    reg.schema.text = text;
    reg.schema.digest = "sha256:" + text;  // any string unique to the content will do here
    reg.schema.references = {SchemaReference{"common.proto", "common", 1}};
    reg.expected_latest = expected_latest;
    return reg;
}

TEST(SubjectFilesTest, RegistersIdempotentlyWithGlobalIdsThatSurviveAReopen) {
    TempDir dir;
    {
        SubjectFiles files(dir.path());
        ASSERT_TRUE(files.open().ok());
        auto first = files.register_schema(registration("orders-value", "a", 0));
        ASSERT_TRUE(first.ok()) << first.error().message;
        EXPECT_EQ(first->version.version, 1);
        EXPECT_EQ(first->version.schema_id, 1);
        EXPECT_FALSE(first->existed);
        auto again = files.register_schema(registration("orders-value", "a", 1));
        ASSERT_TRUE(again.ok());
        EXPECT_TRUE(again->existed);
        EXPECT_EQ(again->version.version, 1);
        // The same content under another subject: the same id, that subject's first version.
        auto other = files.register_schema(registration("Proto:B", "a", 0));
        ASSERT_TRUE(other.ok());
        EXPECT_EQ(other->version.schema_id, 1);
        auto second = files.register_schema(registration("orders-value", "b", 1));
        ASSERT_TRUE(second.ok());
        EXPECT_EQ(second->version.version, 2);
        EXPECT_EQ(second->version.schema_id, 2);
        // A registration checked against version 1 while version 2 exists is refused.
        auto stale = files.register_schema(registration("orders-value", "c", 1));
        ASSERT_FALSE(stale.ok());
        EXPECT_EQ(stale.error().code, ErrorCode::VersionExists);
        ASSERT_TRUE(files.put_setting(SubjectSetting::Compatibility, "orders-value", "FULL").ok());
    }
    SubjectFiles reopened(dir.path());
    ASSERT_TRUE(reopened.open().ok());
    auto schema = reopened.get_schema(2);
    ASSERT_TRUE(schema.has_value());
    EXPECT_EQ(schema->text, "b");
    ASSERT_EQ(schema->references.size(), 1u);
    EXPECT_EQ(schema->references[0].subject, "common");
    EXPECT_EQ(reopened.list_subject_versions("orders-value").size(), 2u);
    EXPECT_EQ(reopened.schema_usages(1).size(), 2u);
    EXPECT_EQ(reopened.get_setting(SubjectSetting::Compatibility, "orders-value"), "FULL");
    EXPECT_FALSE(reopened.get_setting(SubjectSetting::Mode, "orders-value").has_value());
    auto next = reopened.register_schema(registration("new", "d", 0));
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->version.schema_id, 3);
}

TEST(SubjectFilesTest, SoftDeletedVersionsKeepTheirNumbersAndTheirSchema) {
    TempDir dir;
    SubjectFiles files(dir.path());
    ASSERT_TRUE(files.open().ok());
    ASSERT_TRUE(files.register_schema(registration("s", "a", 0)).ok());
    ASSERT_TRUE(files.delete_versions("s", {1}, false).ok());
    auto versions = files.list_subject_versions("s");
    ASSERT_EQ(versions.size(), 1u);
    EXPECT_TRUE(versions[0].deleted);
    EXPECT_TRUE(files.get_schema(1).has_value());  // still resolvable by id
    auto next = files.register_schema(registration("s", "b", 0));
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->version.version, 2);  // after the soft-deleted one
    ASSERT_TRUE(files.delete_versions("s", {1}, true).ok());
    EXPECT_FALSE(files.get_schema(1).has_value());  // no version holds it any more
    EXPECT_EQ(files.list_subject_versions("s").size(), 1u);
}

}  // namespace
}  // namespace spoke
