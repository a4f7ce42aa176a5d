// The Confluent dialect's subject names, schema digests, levels and modes.

#include "registry/confluent/subject_names.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(SubjectNamesTest, AcceptsWhatClientsSendAndNamesWhatIsWrong) {
    for (const char* ok : {"orders-value", "Proto:B", "a/b.proto", "topic.with spaces", "ünï"}) {
        EXPECT_TRUE(validate_subject(ok).ok()) << ok;
    }
    EXPECT_NE(validate_subject("").error().message.find("empty"), std::string::npos);
    EXPECT_NE(
        validate_subject(std::string(kMaxSubjectBytes + 1, 'a')).error().message.find("longer"),
        std::string::npos);
    EXPECT_TRUE(validate_subject(std::string(kMaxSubjectBytes, 'a')).ok());
    EXPECT_NE(validate_subject("a\nb").error().message.find("control"), std::string::npos);
    EXPECT_NE(validate_subject("\xff").error().message.find("UTF-8"), std::string::npos);
}

TEST(SubjectNamesTest, TheDigestCoversTypeTextAndReferencesUnambiguously) {
    const std::vector<SchemaReference> refs = {{"a.proto", "a", 1}};
    const std::string base = schema_digest("PROTOBUF", "syntax = \"proto3\";", refs);
    EXPECT_EQ(base.rfind("sha256:", 0), 0u);
    EXPECT_EQ(base, schema_digest("PROTOBUF", "syntax = \"proto3\";", refs));
    EXPECT_NE(base, schema_digest("PROTOBUF", "syntax = \"proto3\";", {}));
    EXPECT_NE(base, schema_digest("PROTOBUF", "syntax = \"proto3\";", {{"a.proto", "a", 2}}));
    EXPECT_NE(base, schema_digest("JSON", "syntax = \"proto3\";", refs));
    // Field boundaries count: moving bytes from one field to the next changes the digest.
    EXPECT_NE(schema_digest("PROTOBUF", "ab", {{"c", "d", 1}}),
              schema_digest("PROTOBUF", "a", {{"bc", "d", 1}}));
}

TEST(SubjectNamesTest, LevelsAndModesAreConfluents) {
    EXPECT_TRUE(is_compatibility_level("FULL_TRANSITIVE"));
    EXPECT_FALSE(is_compatibility_level("full"));
    EXPECT_TRUE(is_subject_mode("IMPORT"));
    EXPECT_FALSE(is_subject_mode("WRITEONLY"));
}

TEST(SubjectNamesTest, VersionSegmentsAreNumbersOrLatest) {
    EXPECT_EQ(parse_subject_version("latest"), 0);
    EXPECT_EQ(parse_subject_version("-1"), 0);
    EXPECT_EQ(parse_subject_version("1"), 1);
    EXPECT_EQ(parse_subject_version("2147483647"), 2147483647);
    for (const char* bad : {"", "0", "-2", "abc", "1.0", "2147483648", "99999999999", "+1", " 1"}) {
        EXPECT_FALSE(parse_subject_version(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace spoke
