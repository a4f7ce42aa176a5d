#pragma once
// EventLoop: one libevent base on one thread, with a cross-thread mailbox and a same-thread defer
// queue.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "reactor/callback.hpp"

struct event_base;
struct event;

namespace spoke {

class HostResolver;

class EventLoop {
  public:
    // The base is created lock-free (EVENT_BASE_FLAG_NOLOCK): only this loop's thread touches it.
    explicit EventLoop(unsigned index);
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    unsigned index() const { return index_; }
    event_base* base() const { return base_; }

    // Any thread: run `task` on this loop's thread (mailbox + eventfd). Tasks posted after
    // the loop has finished are destroyed unrun when the loop is destroyed.
    void post(Task task);
    // Loop thread only: run `task` on a later iteration, outside the current call chain, so
    // completions never re-enter the code that started an operation.
    void defer(Task task);

    // Runs the loop on the calling thread until stop(). Records that thread as the owner.
    void run();
    // Any thread: ask run() to return after the current iteration.
    void stop();
    bool is_inside() const { return std::this_thread::get_id() == owner_.load(); }

    // This loop's host name resolver, made on first use (reading the resolver configuration
    // then; call it once from the constructing thread to have that done before the loop runs).
    HostResolver& resolver();

    // Heartbeat stamped by a timer on this loop (monotonic ms); the watchdog reads it.
    int64_t last_heartbeat_ms() const { return heartbeat_ms_.load(std::memory_order_relaxed); }

    // Test builds: block this loop's thread for `ms` (simulates a wedged loop).
    void stall_for_test(int64_t ms);

  private:
    static void on_mailbox(int fd, short what, void* arg);
    static void on_defer(int fd, short what, void* arg);
    static void on_heartbeat(int fd, short what, void* arg);
    void run_deferred();
    void drain_mailbox();

    unsigned index_;
    event_base* base_ = nullptr;
    int mailbox_fd_ = -1;  // eventfd
    event* mailbox_event_ = nullptr;
    event* defer_event_ = nullptr;
    event* heartbeat_event_ = nullptr;
    std::mutex mailbox_mutex_;
    std::vector<Task> mailbox_;  // guarded by mailbox_mutex_
    std::deque<Task> deferred_;  // loop thread only
    std::atomic<std::thread::id> owner_{};
    std::atomic<int64_t> heartbeat_ms_{0};
    std::unique_ptr<HostResolver> resolver_;
};

}  // namespace spoke
