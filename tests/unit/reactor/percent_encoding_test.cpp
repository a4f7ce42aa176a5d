#include "reactor/percent_encoding.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(PercentEncoding, FindsMalformedEscapesAndNul) {
    EXPECT_EQ(find_bad_escape("a%20b"), std::nullopt);
    EXPECT_EQ(find_bad_escape("a%zz"), std::optional<size_t>(1));
    EXPECT_EQ(find_bad_escape("ab%2"), std::optional<size_t>(2));
    EXPECT_EQ(find_bad_escape("%00"), std::optional<size_t>(0));
    EXPECT_EQ(find_bad_escape("x%20%00"), std::optional<size_t>(4));
}

TEST(PercentEncoding, QueryParametersAreDecoded) {
    EXPECT_EQ(query_param("a=1&b=x%20y+z", "b"), std::optional<std::string>("x y z"));
    EXPECT_EQ(query_param("a=1&a=2", "a"), std::optional<std::string>("1"));
    EXPECT_EQ(query_param("flag&a=1", "flag"), std::optional<std::string>(""));
    EXPECT_EQ(query_param("a%5Fb=3", "a_b"), std::optional<std::string>("3"));
    EXPECT_EQ(query_param("a=1", "b"), std::nullopt);
    EXPECT_EQ(query_param("a=1%00", "a"), std::nullopt);
}

TEST(PercentEncoding, EncodingKeepsOnlyUnreservedBytesAndRoundTrips) {
    EXPECT_EQ(percent_encode("acme.billing-v2_x~"), "acme.billing-v2_x~");
    EXPECT_EQ(percent_encode("a b&c=d/e+f%"), "a%20b%26c%3Dd%2Fe%2Bf%25");
    EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
    EXPECT_EQ(percent_encode(""), "");
    const std::string every_byte = [] {
        std::string s;
        for (int b = 1; b < 256; ++b) s.push_back(static_cast<char>(b));
        return s;
    }();
    EXPECT_EQ(query_param("x=" + percent_encode(every_byte), "x"),
              std::optional<std::string>(every_byte));
}

}  // namespace
}  // namespace spoke
