#include "reactor/event_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

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

}  // namespace
}  // namespace spoke
