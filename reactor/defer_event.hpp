#pragma once
// DeferEvent: a cancellable "run this on a later loop iteration", owned by value; destroying it
// cancels it (CM4all libcommon's DeferEvent in spirit).

#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

// Bound to one EventLoop and one callback for its whole life. Loop thread only.
//
// Built on a libevent event of its own (event_new(base, -1, 0) + event_active) rather than on
// EventLoop::defer plus a Lifetime: scheduling allocates nothing (defer allocates a Task each
// time), repeated schedules coalesce for free (activating an active event is a no-op), and
// cancel() really takes the call out of the loop's queue instead of leaving a dead task in it.
class DeferEvent {
  public:
    DeferEvent(EventLoop& loop, Callback<void()> callback);
    ~DeferEvent();
    DeferEvent(const DeferEvent&) = delete;
    DeferEvent& operator=(const DeferEvent&) = delete;

    // Runs the callback once on a later loop iteration, never inside this call. Scheduling again
    // before it has run changes nothing; scheduling from inside the callback runs it once more.
    void schedule();
    // Unschedules; the callback will not run until the next schedule().
    void cancel();
    bool scheduled() const;

  private:
    static void on_event(int fd, short what, void* arg);
    event* ev_ = nullptr;
    Callback<void()> callback_;
};

}  // namespace spoke
