#pragma once
// LoopThread: runs an EventLoop on its own thread for the life of a test.

#include <thread>

#include "reactor/event_loop.hpp"

namespace spoke::testing {

class LoopThread {
  public:
    explicit LoopThread(EventLoop& loop) : loop_(loop), thread_([this] { loop_.run(); }) {}
    ~LoopThread() {
        loop_.stop();
        thread_.join();
    }
    LoopThread(const LoopThread&) = delete;
    LoopThread& operator=(const LoopThread&) = delete;

  private:
    EventLoop& loop_;
    std::thread thread_;
};

}  // namespace spoke::testing
