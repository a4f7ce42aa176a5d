#include "services/descriptor_cache.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace spoke {
namespace {

DescriptorSetPtr set_of(std::string bytes, std::string digest = "sha256:x") {
    return std::make_shared<const DescriptorSet>(
        DescriptorSet{std::make_shared<const std::string>(std::move(bytes)), std::move(digest)});
}

TEST(DescriptorCache, KeyedByModuleVersionSpellingAndDetail) {
    DescriptorCache cache(1 << 20, 1);
    cache.insert("acme", "1.0.0", SetDetail::Plain, set_of("plain"));
    cache.insert("acme", "1.0.0", SetDetail::SourceInfo, set_of("with info"));
    ASSERT_TRUE(cache.find("acme", "1.0.0", SetDetail::Plain));
    EXPECT_EQ(*cache.find("acme", "1.0.0", SetDetail::Plain)->bytes, "plain");
    EXPECT_EQ(*cache.find("acme", "1.0.0", SetDetail::SourceInfo)->bytes, "with info");
    EXPECT_EQ(cache.find("acme", "1.0.0", SetDetail::Served), nullptr);
    EXPECT_EQ(cache.find("acme", "v1.0.0", SetDetail::Plain),
              nullptr);  // each spelling is its own entry
    EXPECT_EQ(cache.find("acm", "e1.0.0", SetDetail::Plain), nullptr);
    EXPECT_EQ(cache.hits(), 3u);
    EXPECT_EQ(cache.misses(), 3u);
}

TEST(DescriptorCache, StaysWithinItsBudgetEvictingTheLeastRecentlyUsed) {
    DescriptorCache cache(2000, 1);
    cache.insert("a", "1.0.0", SetDetail::Plain, set_of(std::string(600, 'a')));
    cache.insert("b", "1.0.0", SetDetail::Plain, set_of(std::string(600, 'b')));
    ASSERT_TRUE(cache.find("a", "1.0.0", SetDetail::Plain));  // a is now the most recently used
    cache.insert("c", "1.0.0", SetDetail::Plain, set_of(std::string(600, 'c')));
    EXPECT_LE(cache.bytes(), 2000u);
    EXPECT_TRUE(cache.find("a", "1.0.0", SetDetail::Plain));
    EXPECT_EQ(cache.find("b", "1.0.0", SetDetail::Plain), nullptr);
    EXPECT_TRUE(cache.find("c", "1.0.0", SetDetail::Plain));
    // Larger than the budget: never kept.
    cache.insert("d", "1.0.0", SetDetail::Plain, set_of(std::string(5000, 'd')));
    EXPECT_EQ(cache.find("d", "1.0.0", SetDetail::Plain), nullptr);
}

TEST(DescriptorCache, ZeroBytesDisablesIt) {
    DescriptorCache cache(0);
    cache.insert("a", "1.0.0", SetDetail::Plain, set_of("x"));
    EXPECT_EQ(cache.find("a", "1.0.0", SetDetail::Plain), nullptr);
    EXPECT_EQ(cache.bytes(), 0u);
}

}  // namespace
}  // namespace spoke
