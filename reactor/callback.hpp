#pragma once
// Callback<Sig>: a move-only callable, so completions can own their context (unique_ptr captures).

#include <memory>
#include <type_traits>
#include <utility>

namespace spoke {

template <class Sig>
class Callback;

template <class R, class... Args>
class Callback<R(Args...)> {
  public:
    Callback() = default;
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Callback>>>
    Callback(F f) : impl_(std::make_unique<Impl<std::decay_t<F>>>(std::move(f))) {}  // NOLINT

    Callback(Callback&&) noexcept = default;
    Callback& operator=(Callback&&) noexcept = default;

    R operator()(Args... args) { return impl_->call(std::forward<Args>(args)...); }
    explicit operator bool() const { return impl_ != nullptr; }

  private:
    struct Base {
        virtual ~Base() = default;
        virtual R call(Args... args) = 0;
    };
    template <class F>
    struct Impl final : Base {
        explicit Impl(F fn) : f(std::move(fn)) {}
        R call(Args... args) override { return f(std::forward<Args>(args)...); }
        F f;
    };
    std::unique_ptr<Base> impl_;
};

using Task = Callback<void()>;

}  // namespace spoke
