#include "reactor/event_loop.hpp"

#include <event2/event.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "reactor/host_resolver.hpp"
#include "reactor/trace_scope.hpp"

namespace spoke {

namespace {

// Tasks run per wakeup before yielding back to I/O, so a flood of completions cannot starve
// sockets.
constexpr size_t kMaxDeferredPerWakeup = 256;
constexpr timeval kHeartbeatEvery{0, 100 * 1000};

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "fatal: %s\n", what);
    std::abort();
}
}  // namespace

EventLoop::EventLoop(unsigned index) : index_(index) {
    event_config* cfg = event_config_new();
    if (cfg == nullptr) die("event_config_new");
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    // Coalesces enable/disable pairs made within one iteration into one epoll_ctl (measured
    // with evhttp: 4 -> 2 epoll_ctl per keep-alive request, +25 % req/s; our HTTP layer keeps a
    // connection's read event on and touches the write event only under backpressure). libevent
    // warns against it when one epoll set holds two fds of one file (dup); each loop's set holds
    // at most one fd of the shared listener, so that case cannot arise.
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base_ = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (base_ == nullptr) die("event_base_new_with_config");

    mailbox_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (mailbox_fd_ < 0) die("eventfd");
    mailbox_event_ =
        event_new(base_, mailbox_fd_, EV_READ | EV_PERSIST, &EventLoop::on_mailbox, this);
    defer_event_ = event_new(base_, -1, 0, &EventLoop::on_defer, this);
    heartbeat_event_ = event_new(base_, -1, EV_PERSIST, &EventLoop::on_heartbeat, this);
    if (!mailbox_event_ || !defer_event_ || !heartbeat_event_) die("event_new");
    event_add(mailbox_event_, nullptr);
    event_add(heartbeat_event_, &kHeartbeatEvery);
    heartbeat_ms_.store(monotonic_ms());
}

EventLoop::~EventLoop() {
    resolver_.reset();  // cancels its lookups (their callbacks are dropped) while the base lives
    event_free(heartbeat_event_);
    event_free(defer_event_);
    event_free(mailbox_event_);
    ::close(mailbox_fd_);
    // Destroy leftover tasks before the base: their captures may own events on it.
    deferred_.clear();
    {
        std::lock_guard lock(mailbox_mutex_);
        mailbox_.clear();
    }
    event_base_free(base_);
}

HostResolver& EventLoop::resolver() {
    if (!resolver_) resolver_ = std::make_unique<HostResolver>(*this, HostResolver::resolv_conf());
    return *resolver_;
}

void EventLoop::post(Task task) {
    task = in_current_trace(std::move(task));  // runs in the trace it was posted from
    bool was_empty;
    {
        std::lock_guard lock(mailbox_mutex_);
        was_empty = mailbox_.empty();
        mailbox_.push_back(std::move(task));
    }
    if (was_empty) {
        uint64_t one = 1;
        // EAGAIN means the counter is already non-zero: the loop will wake anyway.
        if (::write(mailbox_fd_, &one, sizeof one) < 0 && errno != EAGAIN) die("eventfd write");
    }
}

void EventLoop::defer(Task task) {
    deferred_.push_back(in_current_trace(std::move(task)));
    if (deferred_.size() == 1) event_active(defer_event_, EV_TIMEOUT, 0);
}

void EventLoop::run() {
    owner_.store(std::this_thread::get_id());
    heartbeat_ms_.store(monotonic_ms());
    event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
}

void EventLoop::stop() {
    // event_base_loopbreak is not safe cross-thread on a NOLOCK base: go through the mailbox.
    post([this] { event_base_loopbreak(base_); });
}

void EventLoop::stall_for_test(int64_t ms) {
    const int64_t until = monotonic_ms() + ms;
    while (monotonic_ms() < until) {
        // Busy-wait on purpose: a wedged loop does not sleep in epoll either.
    }
}

void EventLoop::on_mailbox(int fd, short, void* arg) {
    uint64_t count;
    while (::read(fd, &count, sizeof count) > 0) {
    }
    static_cast<EventLoop*>(arg)->drain_mailbox();
}

void EventLoop::drain_mailbox() {
    std::vector<Task> batch;
    {
        std::lock_guard lock(mailbox_mutex_);
        batch.swap(mailbox_);
    }
    for (auto& task : batch) task();
}

void EventLoop::on_defer(int, short, void* arg) {
    static_cast<EventLoop*>(arg)->run_deferred();
}

void EventLoop::run_deferred() {
    size_t n = 0;
    while (!deferred_.empty() && n < kMaxDeferredPerWakeup) {
        Task task = std::move(deferred_.front());
        deferred_.pop_front();
        task();
        ++n;
    }
    if (!deferred_.empty()) event_active(defer_event_, EV_TIMEOUT, 0);
}

void EventLoop::on_heartbeat(int, short, void* arg) {
    static_cast<EventLoop*>(arg)->heartbeat_ms_.store(monotonic_ms(), std::memory_order_relaxed);
}

}  // namespace spoke
