#include "backends/redis/redis_target.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(RedisTargetTest, Standalone) {
    auto t = parse_redis_url("redis://127.0.0.1:6380/2");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_FALSE(t->sentinel());
    ASSERT_EQ(t->addresses.size(), 1u);
    EXPECT_EQ(t->addresses[0], (RedisAddress{"127.0.0.1", 6380}));
    EXPECT_EQ(t->db, 2u);
    EXPECT_TRUE(t->password.empty());
}

TEST(RedisTargetTest, DefaultsAndPasswordAndNames) {
    auto t = parse_redis_url("redis://:s3cret@cache.internal");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->addresses[0], (RedisAddress{"cache.internal", 6379}));
    EXPECT_EQ(t->password, "s3cret");
    EXPECT_EQ(t->db, 0u);
    auto v6 = parse_redis_url("redis://[::1]:7000");
    ASSERT_TRUE(v6) << v6.error().message;
    EXPECT_EQ(v6->addresses[0], (RedisAddress{"::1", 7000}));
}

TEST(RedisTargetTest, SentinelScheme) {
    auto t = parse_redis_url("redis-sentinel://h1:26379,h2:26380,h3/mymaster");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_TRUE(t->sentinel());
    EXPECT_EQ(t->master_name, "mymaster");
    ASSERT_EQ(t->addresses.size(), 3u);
    EXPECT_EQ(t->addresses[1], (RedisAddress{"h2", 26380}));
    EXPECT_EQ(t->addresses[2], (RedisAddress{"h3", 26379})) << "sentinels default to 26379";
}

TEST(RedisTargetTest, OriginalSpokeSentinelShape) {
    auto t = parse_redis_url("redis://mymaster@h1:26379,h2:26379,h3:26379/master/mymaster");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_TRUE(t->sentinel());
    EXPECT_EQ(t->master_name, "mymaster");
    EXPECT_EQ(t->addresses.size(), 3u);
    EXPECT_TRUE(t->password.empty());
}

TEST(RedisTargetTest, RefusesWhatItCannotUse) {
    for (const char* bad :
         {"http://h:1", "redis://", "redis://h:0", "redis://h:65536", "redis://h:x", "redis://h/16",
          "redis://h/a", "redis://h1,h2", "redis-sentinel://h1", "redis-sentinel://h1/",
          "redis://a@h:1/master/b", "redis://h/0?x=1", "redis://[::1"}) {
        auto t = parse_redis_url(bad);
        EXPECT_FALSE(t) << bad;
        if (!t) {
            EXPECT_NE(t.error().message.find("SPOKE_REDIS_URL"), std::string::npos) << bad;
        }
    }
}

}  // namespace
}  // namespace spoke
