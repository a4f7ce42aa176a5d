#pragma once
// answer_later: completes `done` with `result` on a later turn of `loop`, so a service answers a
// request it refuses up front the way it answers one that went to storage: never from inside
// the caller's own call.

#include <utility>

#include "backends/storage.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

template <class T>
void answer_later(EventLoop& loop, Completion<T> done, Result<T> result) {
    loop.defer([done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
    });
}

}  // namespace spoke
