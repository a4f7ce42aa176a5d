#include "reactor/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "reactor/event_loop.hpp"
#include "reactor/guarded_work.hpp"
#include "tests/support/loop_thread.hpp"

namespace spoke {
namespace {

using testing::LoopThread;

TEST(WorkerPoolTest, RunGuardedDeliversTheResultOnTheLoop) {
    EventLoop loop(0);
    std::atomic<bool> on_loop{false};
    std::atomic<int> result{0};
    {
        LoopThread t(loop);
        WorkerPool pool(2);
        run_guarded<int>(
            pool, loop, "answer", [] { return Result<int>(42); },
            [&](Result<int> v) {
                on_loop = loop.is_inside();
                result = v.ok() ? *v : -1;
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

}  // namespace
}  // namespace spoke
