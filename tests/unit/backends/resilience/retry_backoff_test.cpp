// RetryBackoff: full-jitter bounds, cap, attempt limit, determinism.

#include "backends/resilience/retry_backoff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace spoke {
namespace {

RetryBackoff::RandomSource constant(double r) {
    return [r] { return r; };
}

TEST(RetryBackoff, CeilingDoublesUpToTheCap) {
    RetryBackoff b({.base_ms = 100, .cap_ms = 1'000, .max_attempts = 10}, constant(0.0));
    EXPECT_EQ(b.ceiling_ms(0), 100);
    EXPECT_EQ(b.ceiling_ms(1), 200);
    EXPECT_EQ(b.ceiling_ms(2), 400);
    EXPECT_EQ(b.ceiling_ms(3), 800);
    EXPECT_EQ(b.ceiling_ms(4), 1'000);
    EXPECT_EQ(b.ceiling_ms(63), 1'000);
    EXPECT_EQ(b.ceiling_ms(1'000), 1'000);  // no overflow
}

TEST(RetryBackoff, HugeValuesDoNotOverflow) {
    RetryBackoff b({.base_ms = INT64_MAX / 2, .cap_ms = INT64_MAX, .max_attempts = 100},
                   constant(0.999));
    EXPECT_EQ(b.ceiling_ms(5), INT64_MAX);
    auto d = b.next_delay_ms(50);
    ASSERT_TRUE(d.has_value());
    EXPECT_GE(*d, 0);
}

TEST(RetryBackoff, JitterSpansZeroToTheCeiling) {
    BackoffPolicy p{.base_ms = 100, .cap_ms = 10'000, .max_attempts = 5};
    EXPECT_EQ(RetryBackoff(p, constant(0.0)).next_delay_ms(1), 0);
    EXPECT_EQ(RetryBackoff(p, constant(0.5)).next_delay_ms(1), 50);
    EXPECT_EQ(RetryBackoff(p, constant(0.9999999)).next_delay_ms(1), 100);
    EXPECT_EQ(RetryBackoff(p, constant(0.9999999)).next_delay_ms(3), 400);
}

TEST(RetryBackoff, BadRandomValuesStayInBounds) {
    BackoffPolicy p{.base_ms = 100, .cap_ms = 10'000, .max_attempts = 5};
    EXPECT_EQ(RetryBackoff(p, constant(-3.0)).next_delay_ms(2), 0);
    EXPECT_EQ(RetryBackoff(p, constant(1.0)).next_delay_ms(2), 200);
    EXPECT_EQ(RetryBackoff(p, constant(42.0)).next_delay_ms(2), 200);
    EXPECT_EQ(RetryBackoff(p, constant(std::nan(""))).next_delay_ms(2), 0);
}

TEST(RetryBackoff, DelaysStayWithinBoundsAndCap) {
    BackoffPolicy p{.base_ms = 50, .cap_ms = 2'000, .max_attempts = 20};
    RetryBackoff b(p, RetryBackoff::seeded(7));
    for (int round = 0; round < 200; ++round) {
        for (int failed = 1; failed < p.max_attempts; ++failed) {
            auto d = b.next_delay_ms(failed);
            ASSERT_TRUE(d.has_value());
            EXPECT_GE(*d, 0);
            EXPECT_LE(*d, b.ceiling_ms(failed - 1));
            EXPECT_LE(*d, p.cap_ms);
        }
    }
}

TEST(RetryBackoff, JitterActuallySpreads) {
    RetryBackoff b({.base_ms = 1'000, .cap_ms = 1'000, .max_attempts = 2}, RetryBackoff::seeded(1));
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 1'000; ++i) {
        int64_t d = *b.next_delay_ms(1);
        lo = std::min(lo, d);
        hi = std::max(hi, d);
    }
    EXPECT_LT(lo, 100);
    EXPECT_GT(hi, 900);
}

TEST(RetryBackoff, StopsAfterMaxAttempts) {
    RetryBackoff b({.base_ms = 100, .cap_ms = 1'000, .max_attempts = 3}, constant(0.5));
    EXPECT_TRUE(b.next_delay_ms(1).has_value());
    EXPECT_TRUE(b.next_delay_ms(2).has_value());
    EXPECT_FALSE(b.next_delay_ms(3).has_value());
    EXPECT_FALSE(b.next_delay_ms(4).has_value());
}

TEST(RetryBackoff, OneAttemptMeansNoRetry) {
    RetryBackoff b({.base_ms = 100, .cap_ms = 1'000, .max_attempts = 1}, constant(0.5));
    EXPECT_FALSE(b.next_delay_ms(1).has_value());
    RetryBackoff zero({.base_ms = 100, .cap_ms = 1'000, .max_attempts = 0}, constant(0.5));
    EXPECT_FALSE(zero.next_delay_ms(1).has_value());
}

TEST(RetryBackoff, SameSeedSameSchedule) {
    BackoffPolicy p{.base_ms = 100, .cap_ms = 5'000, .max_attempts = 8};
    auto schedule = [&](uint64_t seed) {
        RetryBackoff b(p, RetryBackoff::seeded(seed));
        std::vector<int64_t> out;
        for (int i = 0; i < 50; ++i) out.push_back(*b.next_delay_ms(1 + i % 7));
        return out;
    };
    EXPECT_EQ(schedule(42), schedule(42));
    EXPECT_NE(schedule(42), schedule(43));
}

TEST(RetryBackoff, SeededSourceIsInUnitInterval) {
    auto r = RetryBackoff::seeded(123);
    for (int i = 0; i < 10'000; ++i) {
        double v = r();
        ASSERT_GE(v, 0.0);
        ASSERT_LT(v, 1.0);
    }
}

}  // namespace
}  // namespace spoke
