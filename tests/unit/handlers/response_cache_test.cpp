#include "handlers/response_cache.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace spoke {
namespace {

CachedResponsePtr response(size_t body_bytes, char fill = 'x') {
    return std::make_shared<const CachedResponse>(CachedResponse{
        std::make_shared<const std::string>(body_bytes, fill), "application/json", "\"e\""});
}

TEST(ResponseCache, FindsWhatWasInserted) {
    ResponseCache cache(1 << 20, 1);
    EXPECT_EQ(cache.find("k"), nullptr);
    auto r = response(10);
    cache.insert("k", r);
    EXPECT_EQ(cache.find("k"), r);
    EXPECT_EQ(cache.hits(), 1u);
    EXPECT_EQ(cache.misses(), 1u);
    EXPECT_EQ(cache.entries(), 1u);
    EXPECT_EQ(cache.bytes(), ResponseCache::charge("k", *r));
}

TEST(ResponseCache, ReplacingAKeyKeepsOneEntry) {
    ResponseCache cache(1 << 20, 1);
    cache.insert("k", response(10));
    auto second = response(20);
    cache.insert("k", second);
    EXPECT_EQ(cache.entries(), 1u);
    EXPECT_EQ(cache.find("k"), second);
    EXPECT_EQ(cache.bytes(), ResponseCache::charge("k", *second));
}

TEST(ResponseCache, EvictsLeastRecentlyUsedByBytes) {
    const size_t one = ResponseCache::charge("k0", *response(1000));
    ResponseCache cache(one * 3, 1);  // room for three entries
    cache.insert("k0", response(1000));
    cache.insert("k1", response(1000));
    cache.insert("k2", response(1000));
    ASSERT_NE(cache.find("k0"), nullptr);  // k0 is now the most recent; k1 the oldest
    cache.insert("k3", response(1000));
    EXPECT_EQ(cache.find("k1"), nullptr);
    EXPECT_NE(cache.find("k0"), nullptr);
    EXPECT_NE(cache.find("k2"), nullptr);
    EXPECT_NE(cache.find("k3"), nullptr);
    EXPECT_LE(cache.bytes(), one * 3);

    // One large entry pushes out as many as it needs.
    cache.insert("big", response(2000));
    EXPECT_LE(cache.bytes(), one * 3);
    EXPECT_NE(cache.find("big"), nullptr);
    EXPECT_EQ(cache.entries(), 2u);
}

TEST(ResponseCache, NeverStoresWhatCannotFit) {
    ResponseCache cache(4096, 1);
    cache.insert("small", response(100));
    cache.insert("huge", response(10000));
    EXPECT_EQ(cache.find("huge"), nullptr);
    EXPECT_NE(cache.find("small"), nullptr);  // not evicted for nothing
}

TEST(ResponseCache, ZeroBudgetDisables) {
    ResponseCache cache(0);
    cache.insert("k", response(1));
    EXPECT_EQ(cache.find("k"), nullptr);
    EXPECT_EQ(cache.entries(), 0u);
}

TEST(ResponseCache, EntriesOutliveEviction) {
    ResponseCache cache(ResponseCache::charge("a", *response(100)), 1);
    cache.insert("a", response(100, 'a'));
    CachedResponsePtr held = cache.find("a");
    cache.insert("b", response(100, 'b'));
    EXPECT_EQ(cache.find("a"), nullptr);
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(*held->body, std::string(100, 'a'));
}

TEST(ResponseCache, ClearEmptiesEveryShard) {
    ResponseCache cache(1 << 20, 4);
    for (int i = 0; i < 50; ++i) cache.insert("k" + std::to_string(i), response(10));
    EXPECT_EQ(cache.entries(), 50u);
    cache.clear();
    EXPECT_EQ(cache.entries(), 0u);
    EXPECT_EQ(cache.bytes(), 0u);
}

TEST(ResponseCache, ConcurrentUseStaysWithinBudget) {
    const size_t budget = 64 * 1024;
    ResponseCache cache(budget, 8);
    constexpr int kThreads = 8;
    constexpr int kOps = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&cache, t] {
            for (int i = 0; i < kOps; ++i) {
                const std::string key = "k" + std::to_string((i * 7 + t) % 500);
                if (auto hit = cache.find(key)) {
                    // A found body is never torn: every byte is its fill character.
                    ASSERT_EQ(hit->body->find_first_not_of(hit->body->front()), std::string::npos);
                } else {
                    cache.insert(key, response(100 + (i % 400), static_cast<char>('a' + t)));
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_LE(cache.bytes(), budget);
    EXPECT_GT(cache.entries(), 0u);
    EXPECT_EQ(cache.hits() + cache.misses(), static_cast<uint64_t>(kThreads) * kOps);
}

}  // namespace
}  // namespace spoke
