#include "reactor/defer_event.hpp"

#include <event2/event.h>

#include <cstdio>
#include <cstdlib>

namespace spoke {

DeferEvent::DeferEvent(EventLoop& loop, Callback<void()> callback)
    : ev_(event_new(loop.base(), -1, 0, &DeferEvent::on_event, this)),
      callback_(std::move(callback)) {
    if (ev_ == nullptr) {
        std::fprintf(stderr, "fatal: event_new (DeferEvent)\n");
        std::abort();
    }
}

DeferEvent::~DeferEvent() {
    // Removes it from the active queue too: a scheduled call dies with this object.
    event_free(ev_);
}

void DeferEvent::schedule() {
    event_active(ev_, EV_TIMEOUT, 0);
}

void DeferEvent::cancel() {
    event_del(ev_);
}

bool DeferEvent::scheduled() const {
    return event_pending(ev_, EV_TIMEOUT, nullptr) != 0;
}

void DeferEvent::on_event(int, short, void* arg) {
    // libevent reads nothing of the event after calling out, so the callback may destroy this
    // DeferEvent (and its owner) provided it touches none of them afterwards.
    static_cast<DeferEvent*>(arg)->callback_();
}

}  // namespace spoke
