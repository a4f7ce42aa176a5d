#include "backends/postgres/registry_sql.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(RegistrySqlTest, TextArrayQuotesAndEscapesEveryElement) {
    EXPECT_EQ(registry_sql::text_array({}), "{}");
    EXPECT_EQ(registry_sql::text_array({"a", ""}), R"({"a",""})");
    EXPECT_EQ(registry_sql::text_array({R"(dir/x "y".proto)", R"(back\slash)", "NULL", "a,b{}"}),
              R"({"dir/x \"y\".proto","back\\slash","NULL","a,b{}"})");
}

VersionDraft draft(std::string version) {
    VersionDraft d;
    d.record.module_name = "acme";
    d.record.version = std::move(version);
    d.record.digest = "sha256:" + std::string(64, 'a');
    d.record.created_at = 1700000000123;
    d.record.files = {{"a.proto", std::string(64, 'b'), 10}};
    d.record.dependencies = {"base@v1.0.0"};
    d.files = {{"a.proto", "syntax = \"proto3\";"}};
    return d;
}

TEST(RegistrySqlTest, PutParamsCarrySemverColumnsAndKeys) {
    auto p = registry_sql::put_version_params(draft("v1.2.3-rc.1+build.5"));
    ASSERT_TRUE(p) << p.error().message;
    ASSERT_EQ(p->size(), 18u);
    EXPECT_EQ((*p)[2], "1.2.3-rc.1+build.5");  // version_key: no leading 'v'
    EXPECT_EQ((*p)[4], "1700000000123");
    EXPECT_EQ((*p)[8], "1");
    EXPECT_EQ((*p)[9], "2");
    EXPECT_EQ((*p)[10], "3");
    EXPECT_EQ((*p)[11], "rc.1");  // build metadata is not part of the pre-release
    EXPECT_EQ((*p)[15], "{\"proto-files/sha256/bb/" + std::string(62, 'b') + "\"}");
    EXPECT_EQ((*p)[16], R"({"base"})");
    EXPECT_EQ((*p)[17], R"({"1.0.0"})");
}

TEST(RegistrySqlTest, VersionNumbersBeyondBigintAreABadRequest) {
    auto p = registry_sql::put_version_params(draft("9223372036854775808.0.0"));
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::BadRequest);
    EXPECT_TRUE(registry_sql::put_version_params(draft("9223372036854775807.0.0")));
}

}  // namespace
}  // namespace spoke
