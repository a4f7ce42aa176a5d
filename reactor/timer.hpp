#pragma once
// Timer: a one-shot (or repeating) libevent timer owned by value; destroying it cancels it.

#include <chrono>

#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

class Timer {
  public:
    Timer(EventLoop& loop, Callback<void()> on_fire);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // (Re)arm to fire once after `delay`.
    void arm(std::chrono::milliseconds delay);
    void cancel();
    bool armed() const;

  private:
    static void on_timer(int fd, short what, void* arg);
    event* ev_ = nullptr;
    Callback<void()> on_fire_;
};

}  // namespace spoke
