#include <gtest/gtest.h>

#include "services/rate_limit/rate_limit_policy.hpp"
#include "services/rate_limit/rate_limiter.hpp"

namespace spoke {
namespace {

TEST(RateLimitTest, Parses) {
    auto a = parse_rate_limit("100/s");
    ASSERT_TRUE(a);
    EXPECT_DOUBLE_EQ(a->per_second, 100);
    EXPECT_DOUBLE_EQ(a->burst, 100);
    auto b = parse_rate_limit("600/m:50");
    ASSERT_TRUE(b);
    EXPECT_DOUBLE_EQ(b->per_second, 10);
    EXPECT_DOUBLE_EQ(b->burst, 50);
    EXPECT_FALSE(parse_rate_limit("0")->enabled());
    EXPECT_FALSE(parse_rate_limit("0/s")->enabled());
    for (const char* bad : {"", "100", "100/d", "x/s", "100/s:0", "100/s:", "-1/s", "1/s:x"}) {
        EXPECT_FALSE(parse_rate_limit(bad)) << bad;
    }
}

TEST(LocalBucketsTest, BurstThenRefill) {
    LocalBuckets buckets(100);
    const RateLimit limit{10, 3};  // 3 at once, one more every 100 ms
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(buckets.take("k", limit, 1000).allowed) << i;
    RateDecision refused = buckets.take("k", limit, 1000);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.limit, 3);
    EXPECT_EQ(refused.remaining, 0);
    EXPECT_GT(refused.retry_after_ms, 0);
    EXPECT_LE(refused.retry_after_ms, 100);
    EXPECT_TRUE(buckets.take("other", limit, 1000).allowed) << "buckets are per key";
    EXPECT_TRUE(buckets.take("k", limit, 1100).allowed) << "one token regained after 100 ms";
    EXPECT_FALSE(buckets.take("k", limit, 1100).allowed);
}

TEST(LocalBucketsTest, MemoryStaysBounded) {
    LocalBuckets buckets(10);
    const RateLimit limit{1, 1};
    for (int i = 0; i < 1000; ++i) buckets.take(std::to_string(i), limit, 0);
    EXPECT_TRUE(buckets.take("fresh", limit, 0).allowed);
    EXPECT_FALSE(buckets.take("fresh", limit, 0).allowed);
}

}  // namespace
}  // namespace spoke
