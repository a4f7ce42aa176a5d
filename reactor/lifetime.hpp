#pragma once
// Lifetime: held by an owner; ending it (its destruction does) cancels every completion bound to
// it, so no completion ever runs against freed state. LifetimeGuard: what a completion carries to
// ask "is my owner still there?" before it touches the owner.
//
// The one liveness primitive of the process (CM4all libcommon's CancellablePointer in spirit):
// an owner declares `Lifetime lifetime_;` as its LAST member (so it ends first, before the members
// that in-flight operations use are destroyed) and hands out `lifetime_.bind(fn)` or
// `lifetime_.guard()` with every asynchronous call whose completion refers to it.

#include <atomic>
#include <memory>
#include <utility>

namespace spoke {

class LifetimeGuard {
  public:
    LifetimeGuard() = default;  // guards nothing: never alive
    // True while the Lifetime it came from has not ended. Any thread (one atomic load); on the
    // owner's thread the answer cannot change before the caller returns to the loop.
    bool alive() const { return state_ != nullptr && state_->load(std::memory_order_acquire); }

  private:
    friend class Lifetime;
    explicit LifetimeGuard(std::shared_ptr<const std::atomic<bool>> state)
        : state_(std::move(state)) {}
    std::shared_ptr<const std::atomic<bool>> state_;
};

class Lifetime {
  public:
    Lifetime() = default;
    ~Lifetime() { end(); }
    Lifetime(const Lifetime&) = delete;
    Lifetime& operator=(const Lifetime&) = delete;

    // Owner's thread. The shared state is made on first use: an owner that never hands out a
    // guard allocates nothing.
    LifetimeGuard guard() {
        if (!state_) state_ = std::make_shared<std::atomic<bool>>(true);
        return LifetimeGuard(state_);
    }

    // `fn` wrapped so that it runs only while this lifetime lasts; once ended, calling the
    // wrapper does nothing (the wrapped callable and its captures are destroyed with it).
    // Returns a callable convertible to any Callback<void(...)>.
    template <class F>
    auto bind(F fn) {
        return [guard = guard(), fn = std::move(fn)](auto&&... args) mutable {
            if (guard.alive()) fn(std::forward<decltype(args)>(args)...);
        };
    }

    // Owner's thread: cancels every completion bound so far. Guards handed out later belong to
    // a fresh lifetime (an owner that is reset and reused, e.g. a reconnected connection).
    void end() {
        if (state_) {
            state_->store(false, std::memory_order_release);
            state_.reset();
        }
    }
    bool bound() const { return state_ != nullptr; }

  private:
    std::shared_ptr<std::atomic<bool>> state_;
};

}  // namespace spoke
