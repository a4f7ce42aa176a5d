#include "reactor/timer.hpp"

#include <event2/event.h>

namespace spoke {

Timer::Timer(EventLoop& loop, Callback<void()> on_fire)
    : ev_(evtimer_new(loop.base(), &Timer::on_timer, this)), on_fire_(std::move(on_fire)) {}

Timer::~Timer() {
    event_free(ev_);
}

void Timer::arm(std::chrono::milliseconds delay) {
    timeval tv{static_cast<time_t>(delay.count() / 1000),
               static_cast<suseconds_t>((delay.count() % 1000) * 1000)};
    evtimer_add(ev_, &tv);
}

void Timer::cancel() {
    evtimer_del(ev_);
}

bool Timer::armed() const {
    return evtimer_pending(ev_, nullptr) != 0;
}

void Timer::on_timer(int, short, void* arg) {
    // The callback must not destroy this Timer (owners free through EventLoop::defer).
    static_cast<Timer*>(arg)->on_fire_();
}

}  // namespace spoke
