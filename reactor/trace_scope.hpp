#pragma once
// The trace a thread is working for, so that the PostgreSQL statements, S3 requests, Redis
// commands and worker jobs a request causes become child spans of its server span without the
// context being passed through every storage call:
//  - TraceScope: RAII; makes a context current on this thread (the HTTP dispatch, a completion).
//  - EventLoop::defer/post carry the current context to the task they run later
//    (in_current_trace, also for completions kept for later by hand).
//  - ChildSpan: a span started inside the current context; `continue_in` wraps a completion so
//    that it ends the span and runs in the context that started it (completions that arrive from
//    a socket event would otherwise run outside any trace).
// With no SpanSink installed (tracing off) nothing is ever current and all of this is inert.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "reactor/callback.hpp"
#include "reactor/span.hpp"
#include "reactor/trace_context.hpp"

namespace spoke {

// Process-wide: where spans go. Set once before the loops start (null: tracing off) and cleared
// after they have stopped.
void install_span_sink(SpanSink* sink);
SpanSink* span_sink();

class TraceScope {
  public:
    // Makes `context` (nothing: no trace) current on this thread until destruction.
    explicit TraceScope(const std::optional<TraceContext>& context);
    ~TraceScope();
    TraceScope(const TraceScope&) = delete;
    TraceScope& operator=(const TraceScope&) = delete;

    // This thread's current context; nullptr outside any trace.
    static const TraceContext* current();
    // A copy of it, to carry to a later task.
    static std::optional<TraceContext> capture();

  private:
    std::optional<TraceContext> saved_;
};

class ChildSpan {
  public:
    // A span of `kind` named `name`, as a child of the current context; inert without one.
    static ChildSpan start(std::string_view name, Span::Kind kind);
    // The same inside `parent` (a context carried to another thread); inert without one.
    static ChildSpan start_in(const std::optional<TraceContext>& parent, std::string_view name,
                              Span::Kind kind);

    bool active() const { return self_.has_value(); }
    // This span's own context (what a call made inside it propagates); active spans only.
    const TraceContext& context() const { return *self_; }
    // The context the span was started in.
    const std::optional<TraceContext>& parent() const { return parent_; }

    void set(std::string key, std::string value);
    void set(std::string key, int64_t value);
    // Submits the span (ended now); later calls do nothing.
    void finish(bool error);

  private:
    std::optional<TraceContext> parent_;
    std::optional<TraceContext> self_;
    Span span_;
};

// `done` to run in the context current now, wherever it is called from: a task run later, or one
// completion among several waiting on shared work (each requester stays in its own trace).
// Outside a trace, `done` as it is (no allocation).
template <class... Args>
Callback<void(Args...)> in_current_trace(Callback<void(Args...)> done) {
    const TraceContext* now = TraceScope::current();
    if (now == nullptr) return done;
    return [context = *now, done = std::move(done)](Args... args) mutable {
        TraceScope scope(context);
        done(std::forward<Args>(args)...);
    };
}

// `done` wrapped so that, when called, it first lets `describe(span, args...)` set the outcome
// (attributes) and returns whether it failed, finishes the span, then runs `done` in the context
// the span was started in. An inert span leaves `done` as it is (no allocation when tracing is
// off).
template <class Describe, class... Args>
Callback<void(Args...)> continue_in(ChildSpan span, Callback<void(Args...)> done,
                                    Describe describe) {
    if (!span.active()) return done;
    return [span = std::move(span), done = std::move(done),
            describe = std::move(describe)](Args... args) mutable {
        span.finish(describe(span, args...));
        TraceScope scope(span.parent());
        done(std::forward<Args>(args)...);
    };
}

}  // namespace spoke
