#include "reactor/callback.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <utility>

namespace spoke {
namespace {

TEST(CallbackTest, OwnsMoveOnlyCaptures) {
    auto p = std::make_unique<int>(7);
    Callback<int(int)> cb = [p = std::move(p)](int x) { return *p + x; };
    Callback<int(int)> moved = std::move(cb);
    EXPECT_EQ(moved(3), 10);
    // A moved-from Callback is empty: reading it after the move is the point of the check.
    EXPECT_FALSE(static_cast<bool>(cb));  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace spoke
