#include "reactor/timer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "reactor/event_loop.hpp"
#include "tests/support/loop_thread.hpp"

namespace spoke {
namespace {

using testing::LoopThread;

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

}  // namespace
}  // namespace spoke
