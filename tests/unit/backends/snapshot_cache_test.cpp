// SnapshotCache: byte-bounded LRU eviction.

#include "backends/snapshot_cache.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

VersionSnapshotPtr snapshot_of(size_t bytes) {
    auto s = std::make_shared<VersionSnapshot>();
    s->files.push_back({"a.proto", std::string(bytes, 'x')});
    return s;
}

TEST(SnapshotCache, EvictsLeastRecentlyUsedByBytes) {
    size_t one = SnapshotCache::cost(*snapshot_of(1000));
    SnapshotCache cache(one * 2 + one / 2);
    cache.put("a", snapshot_of(1000));
    cache.put("b", snapshot_of(1000));
    ASSERT_NE(cache.get("a"), nullptr);  // a is now the most recent
    cache.put("c", snapshot_of(1000));
    EXPECT_NE(cache.get("a"), nullptr);
    EXPECT_EQ(cache.get("b"), nullptr);
    EXPECT_NE(cache.get("c"), nullptr);
    EXPECT_EQ(cache.entries(), 2u);
    EXPECT_LE(cache.size_bytes(), one * 2 + one / 2);
}

TEST(SnapshotCache, SkipsSnapshotsLargerThanTheCapacity) {
    SnapshotCache cache(4096);
    cache.put("big", snapshot_of(10000));
    EXPECT_EQ(cache.get("big"), nullptr);
    EXPECT_EQ(cache.size_bytes(), 0u);

    SnapshotCache disabled(0);
    disabled.put("a", snapshot_of(1));
    EXPECT_EQ(disabled.get("a"), nullptr);
}

TEST(SnapshotCache, ReplacingAKeyKeepsTheAccountRight) {
    SnapshotCache cache(1 << 20);
    cache.put("a", snapshot_of(100));
    cache.put("a", snapshot_of(200));
    EXPECT_EQ(cache.entries(), 1u);
    EXPECT_EQ(cache.size_bytes(), SnapshotCache::cost(*snapshot_of(200)));
    EXPECT_EQ(cache.get("a")->files[0].content.size(), 200u);
}

}  // namespace
}  // namespace spoke
