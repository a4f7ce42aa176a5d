#include "common/result.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(QuoteValue, EscapesQuotesBackslashesAndControlBytes) {
    EXPECT_EQ(quote_value("plain"), "\"plain\"");
    EXPECT_EQ(quote_value("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(quote_value(std::string_view("nul\0x\n\x7f", 7)), "\"nul\\x00x\\x0a\\x7f\"");
}

TEST(ResultTest, HoldsAValueOrAnError) {
    Result<int> good = 7;
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 7);
    Result<int> bad = Error::not_found("module \"m\" not found");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::NotFound);
    EXPECT_EQ(bad.error().message, "module \"m\" not found");
}

}  // namespace
}  // namespace spoke
