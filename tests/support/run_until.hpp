#pragma once
// run_until: drives an EventLoop on the calling thread until a condition holds or time runs out.

#include <chrono>
#include <functional>

#include "reactor/event_loop.hpp"
#include "reactor/timer.hpp"

namespace spoke::testing {

// Returns done() once the loop has run until it held or `timeout` passed.
inline bool run_until(EventLoop& loop, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (done()) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Timer* self = nullptr;
    Timer tick(loop, [&] {
        if (done() || std::chrono::steady_clock::now() >= deadline)
            loop.stop();
        else
            self->arm(std::chrono::milliseconds(2));
    });
    self = &tick;
    tick.arm(std::chrono::milliseconds(0));
    loop.run();
    return done();
}

}  // namespace spoke::testing
