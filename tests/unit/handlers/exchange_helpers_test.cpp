#include "handlers/exchange_helpers.hpp"

#include <gtest/gtest.h>

#include "handlers/cache_keys.hpp"
#include "handlers/file_handler.hpp"
#include "handlers/schema_loader.hpp"

namespace spoke {
namespace {

TEST(ContentType, JsonWithAnyParametersOrAbsent) {
    EXPECT_TRUE(is_json_content_type(std::nullopt));
    EXPECT_TRUE(is_json_content_type("application/json"));
    EXPECT_TRUE(is_json_content_type("Application/JSON; charset=UTF-8"));
    EXPECT_TRUE(is_json_content_type(" application/json ;charset=latin1"));
    EXPECT_FALSE(is_json_content_type("text/plain"));
    EXPECT_FALSE(is_json_content_type("application/jsonx"));
    EXPECT_FALSE(is_json_content_type(""));
}

TEST(ETag, IfNoneMatch) {
    const std::string etag = quoted_etag("sha256:ab");
    EXPECT_EQ(etag, "\"sha256:ab\"");
    EXPECT_TRUE(if_none_match_hits("\"sha256:ab\"", etag));
    EXPECT_TRUE(if_none_match_hits("\"x\", W/\"sha256:ab\"", etag));
    EXPECT_TRUE(if_none_match_hits("*", etag));
    EXPECT_FALSE(if_none_match_hits("\"sha256:ac\"", etag));
    EXPECT_FALSE(if_none_match_hits("sha256:ab", etag));
    EXPECT_FALSE(if_none_match_hits("", etag));
}

TEST(FileFormat, AcceptNegotiation) {
    EXPECT_EQ(negotiate_file_format(std::nullopt), FileFormat::Json);
    EXPECT_EQ(negotiate_file_format("*/*"), FileFormat::Json);
    EXPECT_EQ(negotiate_file_format("text/plain"), FileFormat::Text);
    EXPECT_EQ(negotiate_file_format("Text/Plain; charset=utf-8"), FileFormat::Text);
    EXPECT_EQ(negotiate_file_format("application/octet-stream"), FileFormat::Octet);
    EXPECT_EQ(negotiate_file_format("application/json, text/plain, */*"), FileFormat::Json);
    EXPECT_EQ(negotiate_file_format("text/plain;q=0, application/octet-stream"), FileFormat::Octet);
}

TEST(CacheKeys, DistinctPerKindAndFormat) {
    EXPECT_NE(version_cache_key("a", "1.0.0"), version_cache_key("a", "v1.0.0"));
    EXPECT_NE(file_cache_key("a", "1.0.0", "x.proto", FileFormat::Json),
              file_cache_key("a", "1.0.0", "x.proto", FileFormat::Text));
    EXPECT_NE(descriptor_cache_key("a", "1.0.0", true), descriptor_cache_key("a", "1.0.0", false));
    // NUL separators keep ("ab","c") and ("a","bc") apart.
    EXPECT_NE(version_cache_key("ab", "c"), version_cache_key("a", "bc"));
}

VersionRecord rec(std::string module, std::string version) {
    VersionRecord r;
    r.module_name = std::move(module);
    r.version = std::move(version);
    return r;
}

TEST(ResolveDirect, ExactSpellingAndLatest) {
    const std::vector<VersionRecord> closure = {rec("base", "1.0.0"), rec("base", "v2.0.0"),
                                                rec("common", "0.1.0-rc.1"), rec("app", "v3.0.0")};
    auto r =
        resolve_direct({{"base", "v1.0.0"}, {"base", "latest"}, {"common", "latest"}}, closure);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, (std::vector<std::string>{"base@1.0.0", "base@v2.0.0", "common@0.1.0-rc.1"}));
    auto missing = resolve_direct({{"nope", "1.0.0"}}, closure);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::UnknownDependency);
}

}  // namespace
}  // namespace spoke
