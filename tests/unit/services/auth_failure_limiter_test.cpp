#include "services/auth/auth_failure_limiter.hpp"

#include <gtest/gtest.h>

#include "services/auth/token_cache.hpp"

namespace spoke {
namespace {

using std::chrono::milliseconds;

TEST(AuthFailureLimiterTest, BlocksAfterTheBurstAndRefills) {
    AuthFailureLimiter limiter(3, milliseconds(3000), 100);  // 3 per 3 s: one per second
    int64_t now = 1000;
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(limiter.blocked("10.0.0.1", now)) << i;
        limiter.record_failure("10.0.0.1", now);
    }
    auto wait = limiter.blocked("10.0.0.1", now);
    ASSERT_TRUE(wait);
    EXPECT_GT(wait->count(), 0);
    EXPECT_LE(wait->count(), 1000);
    EXPECT_FALSE(limiter.blocked("10.0.0.2", now)) << "another address is not limited";
    EXPECT_FALSE(limiter.blocked("10.0.0.1", now + 1000)) << "one failure regained per second";
    limiter.record_failure("10.0.0.1", now + 1000);
    EXPECT_TRUE(limiter.blocked("10.0.0.1", now + 1000));
}

TEST(AuthFailureLimiterTest, OffWhenBurstIsZero) {
    AuthFailureLimiter limiter(0, milliseconds(60000), 100);
    for (int i = 0; i < 100; ++i) limiter.record_failure("10.0.0.1", 0);
    EXPECT_FALSE(limiter.blocked("10.0.0.1", 0));
}

TEST(AuthFailureLimiterTest, MemoryStaysBounded) {
    AuthFailureLimiter limiter(2, milliseconds(60000), 10);
    for (int i = 0; i < 1000; ++i) limiter.record_failure("10.0.0." + std::to_string(i), 0);
    // Still works for the latest address after the map was pruned.
    limiter.record_failure("10.0.0.999", 0);
    EXPECT_TRUE(limiter.blocked("10.0.0.999", 0));
}

TEST(TokenCacheTest, EntriesExpireAfterTheLifetime) {
    TokenCache cache(milliseconds(1000), 10);
    ApiToken t;
    t.secret_hash = std::string(64, 'a');
    t.name = "ci";
    cache.put(t, 0, cache.generation());
    ASSERT_TRUE(cache.get(t.secret_hash, 999));
    EXPECT_EQ(cache.get(t.secret_hash, 999)->name, "ci");
    EXPECT_FALSE(cache.get(t.secret_hash, 1000));
    cache.put(t, 2000, cache.generation());
    cache.forget(t.secret_hash);
    EXPECT_FALSE(cache.get(t.secret_hash, 2000));
}

TEST(TokenCacheTest, ZeroLifetimeCachesNothing) {
    TokenCache cache(milliseconds(0), 10);
    ApiToken t;
    t.secret_hash = std::string(64, 'b');
    cache.put(t, 0, cache.generation());
    EXPECT_FALSE(cache.get(t.secret_hash, 0));
}

TEST(TokenCacheTest, ARecordReadBeforeARevocationIsNotCachedAfterIt) {
    TokenCache cache(milliseconds(1000), 10);
    ApiToken t;
    t.secret_hash = std::string(64, 'd');
    const uint64_t before = cache.generation();  // a lookup starts
    cache.forget(t.secret_hash);                 // a revocation on this instance completes
    cache.put(t, 0, before);                     // the lookup's stale record comes back
    EXPECT_FALSE(cache.get(t.secret_hash, 1));
    cache.put(t, 0, cache.generation());
    EXPECT_TRUE(cache.get(t.secret_hash, 1));
}

TEST(TokenCacheTest, BoundedSize) {
    TokenCache cache(milliseconds(1000), 4);
    for (int i = 0; i < 20; ++i) {
        ApiToken t;
        t.secret_hash = std::string(63, 'c') + static_cast<char>('a' + i);
        cache.put(t, 0, cache.generation());
    }
    ApiToken last;
    last.secret_hash = std::string(63, 'c') + static_cast<char>('a' + 19);
    EXPECT_TRUE(cache.get(last.secret_hash, 1));
}

}  // namespace
}  // namespace spoke
