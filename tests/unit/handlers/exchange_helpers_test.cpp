#include "handlers/exchange_helpers.hpp"

#include <gtest/gtest.h>

#include "handlers/cache_keys.hpp"
#include "handlers/file_handler.hpp"
#include "services/descriptor_cache.hpp"

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
    EXPECT_NE(descriptor_cache_key("a", "1.0.0", SetDetail::SourceInfo),
              descriptor_cache_key("a", "1.0.0", SetDetail::Plain));
    EXPECT_NE(descriptor_cache_key("a", "1.0.0", SetDetail::SourceInfo),
              descriptor_cache_key("a", "1.0.0", SetDetail::Served));
    // NUL separators keep ("ab","c") and ("a","bc") apart.
    EXPECT_NE(version_cache_key("ab", "c"), version_cache_key("a", "bc"));
}

}  // namespace
}  // namespace spoke
