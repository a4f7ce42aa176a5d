#include "backends/cache/coherent_cache.hpp"

#include <gtest/gtest.h>

#include "backends/cache/invalidation_channel.hpp"
#include "common/clock.hpp"

namespace spoke {
namespace {

std::shared_ptr<const ModuleWithVersions> module_named(const std::string& name) {
    auto m = std::make_shared<ModuleWithVersions>();
    m->module.name = name;
    return m;
}

TEST(CoherentCacheTest, UnsubscribedEntriesLiveForTheStaleBound) {
    CoherentCache cache({.stale_bound_ms = 1000, .max_age_ms = 60000, .max_entries = 10});
    cache.put_latest("a", "1.0.0", cache.ticket(), 0);
    EXPECT_EQ(cache.latest("a", 1000), "1.0.0");
    EXPECT_FALSE(cache.latest("a", 1001)) << "older than the stale bound while not subscribed";
}

TEST(CoherentCacheTest, SubscribedEntriesLiveForTheMaxAge) {
    CoherentCache cache({.stale_bound_ms = 1000, .max_age_ms = 60000, .max_entries = 10});
    cache.channel_subscribed();
    cache.put_module("a", module_named("a"), cache.ticket(), 0);
    ASSERT_TRUE(cache.module("a", 59000));
    EXPECT_FALSE(cache.module("a", 60001));
}

TEST(CoherentCacheTest, InvalidationDropsTheModuleItsLatestAndEveryPage) {
    CoherentCache cache({});
    cache.channel_subscribed();
    cache.put_module("a", module_named("a"), cache.ticket(), 0);
    cache.put_module("b", module_named("b"), cache.ticket(), 0);
    cache.put_latest("a", "1.0.0", cache.ticket(), 0);
    cache.put_page("p", std::make_shared<const ModulePage>(), cache.ticket(), 0);
    cache.invalidate_module("a");
    EXPECT_FALSE(cache.module("a", 1));
    EXPECT_FALSE(cache.latest("a", 1));
    EXPECT_FALSE(cache.page("p", 1));
    EXPECT_TRUE(cache.module("b", 1)) << "other modules stay";
}

TEST(CoherentCacheTest, AFillThatRacedAnInvalidationIsNotCached) {
    CoherentCache cache({});
    cache.channel_subscribed();
    const uint64_t ticket = cache.ticket();     // a read starts...
    cache.invalidate_module("a");               // ...a write lands meanwhile...
    cache.put_latest("a", "1.0.0", ticket, 0);  // ...and the read's old answer arrives
    EXPECT_FALSE(cache.latest("a", 1));
}

TEST(CoherentCacheTest, SubscribingAndLosingTheChannelDropEverything) {
    CoherentCache cache({});
    cache.put_latest("a", "1.0.0", cache.ticket(), 0);
    cache.channel_subscribed();
    EXPECT_FALSE(cache.latest("a", 0)) << "messages sent before the subscription were never seen";
    EXPECT_TRUE(cache.subscribed());
    cache.put_latest("a", "1.0.0", cache.ticket(), 0);
    cache.channel_lost();
    EXPECT_FALSE(cache.subscribed());
    EXPECT_FALSE(cache.latest("a", 0));
}

TEST(CoherentCacheTest, AWritePositionHoldsTheModuleUntilItIsReplayed) {
    CoherentCache cache({.max_age_ms = 60000, .replica_hold_ms = 300});
    const int64_t now = monotonic_ms();
    EXPECT_EQ(cache.pending_position(nullptr, now), 0u);
    cache.invalidate_module("a", 0x500);
    cache.invalidate_module("a", 0x400);  // a message that arrived out of order
    cache.invalidate_module("b", 0);
    const std::string a = "a", b = "b", c = "c";
    EXPECT_EQ(cache.pending_position(&a, now), 0x500u);
    EXPECT_EQ(cache.pending_position(nullptr, now), 0x500u) << "list pages show every module";
    EXPECT_EQ(cache.pending_position(&b, now), 0u) << "no position: held by time instead";
    EXPECT_EQ(cache.pending_position(&c, now), 0u);
    EXPECT_EQ(cache.pending_position(&a, now + 61000), 0u) << "bounded by an entry's life";
    // Known positions replace the time hold; unknown ones keep it.
    cache.put_latest("a", "1.0.0", cache.ticket(), now);
    cache.put_latest("b", "1.0.0", cache.ticket(), now);
    EXPECT_TRUE(cache.latest("a", now));
    EXPECT_FALSE(cache.latest("b", now));
    cache.put_latest("b", "1.0.0", cache.ticket(), now + 1000);
    EXPECT_TRUE(cache.latest("b", now + 1000));
}

TEST(CoherentCacheTest, WithoutReplicasNothingIsHeld) {
    CoherentCache cache({});
    cache.invalidate_module("a", 0x500);
    const std::string a = "a";
    EXPECT_EQ(cache.pending_position(&a, monotonic_ms()), 0u);
}

TEST(InvalidationChannelTest, RoundTrips) {
    for (const Invalidation& m :
         {Invalidation{Invalidation::Kind::Module, "acme.common"},
          Invalidation{Invalidation::Kind::Module, "acme.common", 0x16B374D848},
          Invalidation{Invalidation::Kind::Tokens, ""},
          Invalidation{Invalidation::Kind::Heartbeat, "0a1b"}}) {
        auto back = decode_invalidation(encode_invalidation(m));
        ASSERT_TRUE(back);
        EXPECT_EQ(back->kind, m.kind);
        EXPECT_EQ(back->subject, m.subject);
        EXPECT_EQ(back->position, m.position);
    }
    EXPECT_EQ(encode_invalidation({Invalidation::Kind::Module, "a", 0x2a}), "m:a@2a");
    EXPECT_EQ(encode_invalidation({Invalidation::Kind::Module, "a", 0}), "m:a")
        << "an unknown position is left out, as instances without positions send it";
    EXPECT_FALSE(decode_invalidation(""));
    EXPECT_FALSE(decode_invalidation("m:"));
    EXPECT_FALSE(decode_invalidation("m:@2a"));
    EXPECT_FALSE(decode_invalidation("m:a@"));
    EXPECT_FALSE(decode_invalidation("m:a@xyz"));
    EXPECT_FALSE(decode_invalidation("x:y"));
}

}  // namespace
}  // namespace spoke
