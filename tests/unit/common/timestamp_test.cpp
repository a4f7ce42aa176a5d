#include "common/timestamp.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(Timestamp, FormatsUtcWithMilliseconds) {
    EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_timestamp(1795289629123), "2026-11-21T19:33:49.123Z");
    EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
    EXPECT_EQ(format_timestamp(951782400000), "2000-02-29T00:00:00.000Z");
}

TEST(Timestamp, ParsesWhatItFormats) {
    for (TimestampMs ms : {TimestampMs{0}, TimestampMs{1795289629123}, TimestampMs{-1},
                           TimestampMs{951782400000}, TimestampMs{253402300799999}}) {
        auto back = parse_timestamp(format_timestamp(ms));
        ASSERT_TRUE(back.has_value()) << ms;
        EXPECT_EQ(*back, ms);
    }
    EXPECT_EQ(parse_timestamp("2026-11-21T19:33:49Z"), 1795289629000);
    EXPECT_EQ(parse_timestamp("2026-11-21T19:33:49.1Z"), 1795289629100);
    EXPECT_FALSE(parse_timestamp("2026-11-21 19:33:49Z"));
    EXPECT_FALSE(parse_timestamp("2026-11-21T19:33:49+01:00"));
    EXPECT_FALSE(parse_timestamp("2026-13-21T19:33:49Z"));
}

}  // namespace
}  // namespace spoke
