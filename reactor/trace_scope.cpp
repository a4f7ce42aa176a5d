#include "reactor/trace_scope.hpp"

#include <atomic>

#include "common/clock.hpp"

namespace spoke {

namespace {

std::atomic<SpanSink*> g_sink{nullptr};
thread_local std::optional<TraceContext> t_current;

}  // namespace

void install_span_sink(SpanSink* sink) {
    g_sink.store(sink, std::memory_order_release);
}

SpanSink* span_sink() {
    return g_sink.load(std::memory_order_acquire);
}

TraceScope::TraceScope(const std::optional<TraceContext>& context) : saved_(t_current) {
    t_current = context;
}

TraceScope::~TraceScope() {
    t_current = saved_;
}

const TraceContext* TraceScope::current() {
    return t_current ? &*t_current : nullptr;
}

std::optional<TraceContext> TraceScope::capture() {
    return t_current;
}

ChildSpan ChildSpan::start(std::string_view name, Span::Kind kind) {
    return start_in(t_current, name, kind);
}

ChildSpan ChildSpan::start_in(const std::optional<TraceContext>& parent, std::string_view name,
                              Span::Kind kind) {
    ChildSpan s;
    if (!parent || span_sink() == nullptr) return s;
    s.parent_ = parent;
    s.self_ = parent->child();
    s.span_.name = std::string(name);
    s.span_.kind = kind;
    s.span_.start_unix_ns = wall_ns();
    return s;
}

void ChildSpan::set(std::string key, std::string value) {
    if (active()) span_.attributes.emplace_back(std::move(key), std::move(value));
}

void ChildSpan::set(std::string key, int64_t value) {
    if (active()) span_.int_attributes.emplace_back(std::move(key), value);
}

void ChildSpan::finish(bool error) {
    SpanSink* sink = span_sink();
    if (!active() || span_.end_unix_ns != 0 || sink == nullptr) return;
    span_.end_unix_ns = wall_ns();
    span_.error = error;
    span_.trace_id = self_->trace_id();
    span_.span_id = self_->span_id();
    span_.parent_span_id = self_->parent_span_id();
    sink->submit(std::move(span_));
}

}  // namespace spoke
