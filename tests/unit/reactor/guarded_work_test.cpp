// run_guarded / run_admitted: the worker-pool boundary (exceptions become Internal; admission
// full is Unavailable on a later loop iteration; work whose requester is gone is skipped).

#include "reactor/guarded_work.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <optional>
#include <stdexcept>

#include "tests/support/run_until.hpp"

namespace spoke {
namespace {

using testing::run_until;

// Occupies the pool's only worker until release() (so later jobs queue behind it).
class BlockedWorker {
  public:
    explicit BlockedWorker(WorkerPool& pool) {
        pool.submit([this] {
            started_.set_value();
            release_.get_future().wait();
        });
        started_.get_future().wait();
    }
    void release() { release_.set_value(); }

  private:
    std::promise<void> started_;
    std::promise<void> release_;
};

TEST(RunAdmitted, SkipsWorkWhoseRequesterEndedWhileQueued) {
    EventLoop loop(0);
    WorkerPool pool(1);
    WorkAdmission admission("compile", 4);
    BlockedWorker blocker(pool);
    std::atomic<bool> ran{false};
    std::optional<Result<int>> result;
    {
        Lifetime request;
        run_admitted<int>(
            pool, loop, admission, request.guard(), "compile",
            [&ran]() -> Result<int> {
                ran = true;
                return 1;
            },
            [&result](Result<int> r) { result.emplace(std::move(r)); });
        EXPECT_EQ(admission.in_flight(), 1u);
        // The request is answered (deadline) before a worker picks the job up.
    }
    blocker.release();
    ASSERT_TRUE(run_until(loop, [&] { return result.has_value(); }));
    EXPECT_FALSE(ran);
    ASSERT_FALSE(result->ok());
    EXPECT_EQ(result->error().code, ErrorCode::Unavailable);
    EXPECT_EQ(admission.skipped(), 1u);
    EXPECT_EQ(admission.in_flight(), 0u);
    EXPECT_EQ(admission.rejected(), 0u);
}

TEST(RunAdmitted, RunsWorkWhoseRequesterStillWaits) {
    EventLoop loop(0);
    WorkerPool pool(1);
    WorkAdmission admission("lint", 4);
    Lifetime request;
    std::optional<Result<int>> result;
    run_admitted<int>(
        pool, loop, admission, request.guard(), "lint", []() -> Result<int> { return 42; },
        [&result](Result<int> r) { result.emplace(std::move(r)); });
    ASSERT_TRUE(run_until(loop, [&] { return result.has_value(); }));
    ASSERT_TRUE(result->ok());
    EXPECT_EQ(**result, 42);
    EXPECT_EQ(admission.skipped(), 0u);
    EXPECT_EQ(admission.in_flight(), 0u);
}

TEST(RunAdmitted, RefusesPastCapacityOnALaterIteration) {
    EventLoop loop(0);
    WorkerPool pool(1);
    WorkAdmission admission("validate", 1);
    BlockedWorker blocker(pool);
    Lifetime request;
    std::optional<Result<int>> first;
    std::optional<Result<int>> second;
    run_admitted<int>(
        pool, loop, admission, request.guard(), "validate", []() -> Result<int> { return 1; },
        [&first](Result<int> r) { first.emplace(std::move(r)); });
    run_admitted<int>(
        pool, loop, admission, request.guard(), "validate", []() -> Result<int> { return 2; },
        [&second](Result<int> r) { second.emplace(std::move(r)); });
    EXPECT_FALSE(second.has_value());  // never inline
    ASSERT_TRUE(run_until(loop, [&] { return second.has_value(); }));
    ASSERT_FALSE(second->ok());
    EXPECT_EQ(second->error().code, ErrorCode::Unavailable);
    EXPECT_EQ(admission.rejected(), 1u);
    blocker.release();
    ASSERT_TRUE(run_until(loop, [&] { return first.has_value(); }));
    ASSERT_TRUE(first->ok());
    EXPECT_EQ(**first, 1);
    EXPECT_EQ(admission.in_flight(), 0u);
}

TEST(RunGuarded, AnExceptionBecomesInternal) {
    EventLoop loop(0);
    WorkerPool pool(1);
    std::optional<Result<int>> result;
    run_guarded<int>(
        pool, loop, "render", []() -> Result<int> { throw std::runtime_error("boom"); },
        [&result](Result<int> r) { result.emplace(std::move(r)); });
    ASSERT_TRUE(run_until(loop, [&] { return result.has_value(); }));
    ASSERT_FALSE(result->ok());
    EXPECT_EQ(result->error().code, ErrorCode::Internal);
    EXPECT_NE(result->error().message.find("boom"), std::string::npos);
}

}  // namespace
}  // namespace spoke
