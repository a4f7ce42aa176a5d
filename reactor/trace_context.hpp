#pragma once
// TraceContext: one span's place in a W3C trace (trace id, its span id, its parent's), taken from
// an incoming `traceparent` header or started anew, and the header that propagates it. Fixed-size
// and allocation-free: every request makes one.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace spoke {

class TraceContext {
  public:
    // A server span: the caller's trace when `traceparent` is a valid W3C header (version 00, or
    // a later version read as 00 says), otherwise a new trace of its own.
    static TraceContext for_request(std::optional<std::string_view> traceparent);
    // A span inside this one: same trace, a new span id, this span as its parent.
    TraceContext child() const;

    std::string_view trace_id() const { return {trace_id_.data(), trace_id_.size()}; }
    std::string_view span_id() const { return {span_id_.data(), span_id_.size()}; }
    // Empty for a trace's root span.
    std::string_view parent_span_id() const {
        return has_parent_ ? std::string_view(parent_.data(), parent_.size()) : std::string_view();
    }
    // "00-<trace id>-<span id>-<flags>": what a call made inside this span sends on.
    std::string traceparent() const;

  private:
    std::array<char, 32> trace_id_{};
    std::array<char, 16> span_id_{};
    std::array<char, 16> parent_{};
    std::array<char, 2> flags_{'0', '1'};  // the caller's trace flags (01: sampled)
    bool has_parent_ = false;
};

// Whether `header` is a traceparent the W3C format accepts (see TraceContext::for_request).
bool valid_traceparent(std::string_view header);

}  // namespace spoke
