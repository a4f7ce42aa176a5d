#include "reactor/defer_event.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "reactor/event_loop.hpp"
#include "tests/support/run_until.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using testing::run_until;

// Runs the loop for `span` whatever happens: for checking that something did NOT run.
void run_for(EventLoop& loop, std::chrono::milliseconds span) {
    run_until(
        loop, [] { return false; }, span);
}

TEST(DeferEventTest, RunsOnALaterIterationNeverInsideSchedule) {
    EventLoop loop(0);
    int runs = 0;
    DeferEvent deferred(loop, [&] { ++runs; });
    EXPECT_FALSE(deferred.scheduled());
    deferred.schedule();
    EXPECT_EQ(runs, 0);
    EXPECT_TRUE(deferred.scheduled());
    ASSERT_TRUE(run_until(loop, [&] { return runs == 1; }));
    EXPECT_FALSE(deferred.scheduled());
}

TEST(DeferEventTest, RepeatedSchedulesCoalesceIntoOneRun) {
    EventLoop loop(0);
    int runs = 0;
    DeferEvent deferred(loop, [&] { ++runs; });
    deferred.schedule();
    deferred.schedule();
    deferred.schedule();
    run_for(loop, 50ms);
    EXPECT_EQ(runs, 1);
    // Once it has run, the next schedule runs it again.
    deferred.schedule();
    ASSERT_TRUE(run_until(loop, [&] { return runs == 2; }));
    run_for(loop, 20ms);
    EXPECT_EQ(runs, 2);
}

TEST(DeferEventTest, ScheduleFromInsideTheCallbackRunsItOnceMore) {
    EventLoop loop(0);
    int runs = 0;
    DeferEvent* self = nullptr;
    DeferEvent deferred(loop, [&] {
        if (++runs < 3) self->schedule();
    });
    self = &deferred;
    deferred.schedule();
    ASSERT_TRUE(run_until(loop, [&] { return runs == 3; }));
    run_for(loop, 20ms);
    EXPECT_EQ(runs, 3);
}

TEST(DeferEventTest, CancelUnschedules) {
    EventLoop loop(0);
    int runs = 0;
    DeferEvent deferred(loop, [&] { ++runs; });
    deferred.schedule();
    deferred.cancel();
    EXPECT_FALSE(deferred.scheduled());
    run_for(loop, 50ms);
    EXPECT_EQ(runs, 0);
    deferred.schedule();  // usable again after a cancel
    ASSERT_TRUE(run_until(loop, [&] { return runs == 1; }));
}

// An owner on the heap whose DeferEvent callback writes one of its members.
struct Owner {
    explicit Owner(EventLoop& loop) : deferred(loop, [this] { written = 1; }) {}
    int written = 0;
    DeferEvent deferred;
};

// The owner is destroyed with its call scheduled. Were destruction not to cancel, libevent would
// run the callback on freed memory (a heap-use-after-free under AddressSanitizer).
TEST(DeferEventTest, DestructionCancels) {
    EventLoop loop(0);
    auto owner = std::make_unique<Owner>(loop);
    owner->deferred.schedule();
    owner.reset();
    bool later = false;
    loop.defer([&] { later = true; });
    ASSERT_TRUE(run_until(loop, [&] { return later; }));
    run_for(loop, 20ms);  // and nothing else ran in the meantime (ASan would have said so)
}

TEST(DeferEventTest, CallbackMayDestroyItsOwner) {
    EventLoop loop(0);
    struct SelfDestroying {
        SelfDestroying(EventLoop& loop, std::unique_ptr<SelfDestroying>& slot, bool& ran)
            : deferred(loop, [&slot, &ran] {
                  ran = true;
                  slot.reset();  // destroys this object, the DeferEvent included
              }) {}
        DeferEvent deferred;
    };
    std::unique_ptr<SelfDestroying> slot;
    bool ran = false;
    slot = std::make_unique<SelfDestroying>(loop, slot, ran);
    slot->deferred.schedule();
    ASSERT_TRUE(run_until(loop, [&] { return ran; }));
    EXPECT_EQ(slot, nullptr);
}

}  // namespace
}  // namespace spoke
