#include "reactor/event_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "reactor/timer.hpp"
#include "reactor/worker_pool.hpp"
#include "tests/support/loop_thread.hpp"

namespace spoke {
namespace {

using testing::LoopThread;

TEST(EventLoopTest, PostRunsOnTheLoopThread) {
    EventLoop loop(0);
    std::atomic<bool> inside{false};
    std::atomic<bool> done{false};
    {
        LoopThread t(loop);
        loop.post([&] {
            inside = loop.is_inside();
            done = true;
        });
        for (int i = 0; i < 500 && !done; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_TRUE(done);
    EXPECT_TRUE(inside);
}

TEST(EventLoopTest, DeferRunsAfterTheCurrentTaskInOrder) {
    EventLoop loop(0);
    std::vector<int> order;
    std::atomic<bool> done{false};
    {
        LoopThread t(loop);
        loop.post([&] {
            loop.defer([&] { order.push_back(2); });
            loop.defer([&] {
                order.push_back(3);
                done = true;
            });
            order.push_back(1);
        });
        for (int i = 0; i < 500 && !done; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventLoopTest, ManyDeferredTasksAllRunAcrossWakeups) {
    EventLoop loop(0);
    std::atomic<int> ran{0};
    {
        LoopThread t(loop);
        loop.post([&] {
            for (int i = 0; i < 1000; ++i) loop.defer([&] { ++ran; });
        });
        for (int i = 0; i < 500 && ran < 1000; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(ran, 1000);
}

TEST(EventLoopTest, HeartbeatAdvancesWhileRunningAndNotWhileStalled) {
    EventLoop loop(0);
    LoopThread t(loop);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    EXPECT_LT(monotonic_ms() - loop.last_heartbeat_ms(), 250);
    loop.post([&] { loop.stall_for_test(600); });
    std::this_thread::sleep_for(std::chrono::milliseconds(450));
    EXPECT_GE(monotonic_ms() - loop.last_heartbeat_ms(), 300);
}

TEST(EventLoopTest, TasksPostedAfterStopAreDestroyedUnrun) {
    auto token = std::make_shared<int>(1);
    std::atomic<bool> ran{false};
    {
        EventLoop loop(0);
        loop.post([token, &ran] { ran = true; });
        EXPECT_EQ(token.use_count(), 2);
    }
    EXPECT_FALSE(ran);
    EXPECT_EQ(token.use_count(), 1);
}

TEST(TimerTest, FiresOnceAndCanBeCancelled) {
    EventLoop loop(0);
    std::atomic<int> fired{0};
    std::atomic<int> cancelled_fired{0};
    std::unique_ptr<Timer> a, b;
    {
        LoopThread t(loop);
        loop.post([&] {
            a = std::make_unique<Timer>(loop, [&] { ++fired; });
            b = std::make_unique<Timer>(loop, [&] { ++cancelled_fired; });
            a->arm(std::chrono::milliseconds(20));
            b->arm(std::chrono::milliseconds(20));
            EXPECT_TRUE(b->armed());
            b->cancel();
            EXPECT_FALSE(b->armed());
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        std::atomic<bool> freed{false};
        loop.post([&] {
            a.reset();
            b.reset();
            freed = true;
        });
        for (int i = 0; i < 500 && !freed; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(cancelled_fired, 0);
}

TEST(WorkerPoolTest, RunDeliversResultOnTheLoop) {
    EventLoop loop(0);
    std::atomic<bool> on_loop{false};
    std::atomic<int> result{0};
    {
        LoopThread t(loop);
        WorkerPool pool(2);
        pool.run<int>(
            loop, [] { return 42; },
            [&](int v) {
                on_loop = loop.is_inside();
                result = v;
            });
        for (int i = 0; i < 500 && result == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(result, 42);
    EXPECT_TRUE(on_loop);
}

// libprotobuf recursion needs deep stacks: a worker must survive a deep (but bounded) recursion
// that would overflow an 8 MiB default stack.
int recurse(int depth) {
    volatile char pad[1024];
    pad[0] = static_cast<char>(depth);
    return depth == 0 ? pad[0] : recurse(depth - 1) + 1;
}

TEST(WorkerPoolTest, WorkersHaveLargeStacks) {
    WorkerPool pool(1, 64u << 20);
    std::atomic<int> out{-1};
    pool.submit([&] { out = recurse(20000); });  // ~20 MiB of frames
    for (int i = 0; i < 1000 && out < 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_EQ(out, 20000);
}

TEST(WorkerPoolTest, DestructorRunsQueuedJobs) {
    std::atomic<int> ran{0};
    {
        WorkerPool pool(1);
        for (int i = 0; i < 100; ++i) pool.submit([&] { ++ran; });
    }
    EXPECT_EQ(ran, 100);
}

TEST(CallbackTest, OwnsMoveOnlyCaptures) {
    auto p = std::make_unique<int>(7);
    Callback<int(int)> cb = [p = std::move(p)](int x) { return *p + x; };
    Callback<int(int)> moved = std::move(cb);
    EXPECT_EQ(moved(3), 10);
    EXPECT_FALSE(static_cast<bool>(cb));
}

}  // namespace
}  // namespace spoke
