#include "reactor/lifetime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"
#include "tests/support/run_until.hpp"

namespace spoke {
namespace {

using testing::run_until;

// An owner on the heap whose member a completion writes; its Lifetime is the last member.
struct Owner {
    int written = 0;
    std::string note;
    Lifetime lifetime;
};

TEST(LifetimeTest, BoundCompletionRunsWhileTheOwnerLives) {
    EventLoop loop(0);
    auto owner = std::make_unique<Owner>();
    Owner* raw = owner.get();
    bool ran = false;
    loop.defer(owner->lifetime.bind([raw, &ran] {
        raw->written = 7;
        ran = true;
    }));
    ASSERT_TRUE(run_until(loop, [&] { return ran; }));
    EXPECT_EQ(owner->written, 7);
}

// The completion writes a member of a heap object destroyed before the loop runs it. Were the
// Lifetime bypassed (the lambda deferred unwrapped), this would be a heap-use-after-free that
// AddressSanitizer reports (and a silent write into freed memory in a plain build); with it, the
// completion is skipped.
TEST(LifetimeTest, CompletionThatOutlivesItsHeapOwnerIsNeverInvoked) {
    EventLoop loop(0);
    auto owner = std::make_unique<Owner>();
    Owner* raw = owner.get();
    bool invoked = false;
    loop.defer(owner->lifetime.bind([raw, &invoked] {
        invoked = true;
        raw->written = 42;
        raw->note = "written after free";
    }));
    owner.reset();
    bool later = false;
    loop.defer([&] { later = true; });  // runs after the bound completion's turn
    ASSERT_TRUE(run_until(loop, [&] { return later; }));
    EXPECT_FALSE(invoked);
}

TEST(LifetimeTest, GuardCheckedByHandAlsoSeesTheOwnerGone) {
    EventLoop loop(0);
    auto owner = std::make_unique<Owner>();
    Owner* raw = owner.get();
    int outcome = 0;  // 1: touched the owner, 2: saw it gone
    loop.defer([guard = owner->lifetime.guard(), raw, &outcome] {
        if (!guard.alive()) {
            outcome = 2;
            return;
        }
        raw->written = 1;
        outcome = 1;
    });
    owner.reset();
    ASSERT_TRUE(run_until(loop, [&] { return outcome != 0; }));
    EXPECT_EQ(outcome, 2);
}

TEST(LifetimeTest, BindForwardsArguments) {
    Lifetime lifetime;
    int seen = 0;
    std::string moved_into;
    Callback<void(std::unique_ptr<int>, int&, std::string)> cb =
        lifetime.bind([&](std::unique_ptr<int> p, int& out, std::string s) {
            seen = *p;
            out = 5;
            moved_into = std::move(s);
        });
    int out = 0;
    cb(std::make_unique<int>(9), out, std::string("payload"));
    EXPECT_EQ(seen, 9);
    EXPECT_EQ(out, 5);
    EXPECT_EQ(moved_into, "payload");
}

TEST(LifetimeTest, BoundCallDoesNothingAfterEnd) {
    Lifetime lifetime;
    int calls = 0;
    auto cb = lifetime.bind([&](int n) { calls += n; });
    cb(1);
    lifetime.end();
    cb(10);
    EXPECT_EQ(calls, 1);
}

TEST(LifetimeTest, EndThenGuardGivesAFreshLiveGuard) {
    Lifetime lifetime;
    LifetimeGuard old = lifetime.guard();
    EXPECT_TRUE(old.alive());
    lifetime.end();
    EXPECT_FALSE(old.alive());
    EXPECT_FALSE(lifetime.bound());
    LifetimeGuard fresh = lifetime.guard();
    EXPECT_TRUE(fresh.alive());
    EXPECT_FALSE(old.alive());  // the old lifetime stays ended
    lifetime.end();
    EXPECT_FALSE(fresh.alive());
}

TEST(LifetimeTest, DefaultGuardIsNeverAlive) {
    LifetimeGuard nothing;
    EXPECT_FALSE(nothing.alive());
}

TEST(LifetimeTest, GuardOutlivesTheLifetimeObject) {
    LifetimeGuard guard;
    {
        Lifetime lifetime;
        guard = lifetime.guard();
        EXPECT_TRUE(guard.alive());
    }
    EXPECT_FALSE(guard.alive());
}

TEST(LifetimeTest, AliveIsReadFromAnotherThread) {
    auto lifetime = std::make_unique<Lifetime>();
    LifetimeGuard guard = lifetime->guard();
    std::atomic<bool> saw_alive{false};
    std::atomic<bool> saw_ended{false};
    std::thread reader([guard, &saw_alive, &saw_ended] {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (guard.alive()) {
                saw_alive = true;
            } else if (saw_alive) {
                saw_ended = true;
                return;
            }
        }
    });
    while (!saw_alive) std::this_thread::yield();
    lifetime.reset();  // ends it on this thread while the reader polls
    reader.join();
    EXPECT_TRUE(saw_alive);
    EXPECT_TRUE(saw_ended);
}

}  // namespace
}  // namespace spoke
