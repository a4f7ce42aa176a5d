// TraceContext: W3C traceparent accepted or refused as the Trace Context recommendation says, and
// the ids of new traces and child spans.

#include "reactor/trace_context.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace spoke {
namespace {

constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

bool lower_hex(std::string_view s) {
    return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(TraceContext, TheCallersTraceIsContinued) {
    const auto t = TraceContext::for_request(std::string_view(kTraceparent));
    EXPECT_EQ(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(t.parent_span_id(), "00f067aa0ba902b7");
    ASSERT_EQ(t.span_id().size(), 16u);
    EXPECT_TRUE(lower_hex(t.span_id()));
    EXPECT_NE(t.span_id(), "00f067aa0ba902b7");
    EXPECT_EQ(t.traceparent(),
              "00-4bf92f3577b34da6a3ce929d0e0e4736-" + std::string(t.span_id()) + "-01");
}

TEST(TraceContext, AMissingOrInvalidHeaderStartsANewTrace) {
    const char* invalid[] = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // no flags
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero parent
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // forbidden version
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // 00 has no more fields
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
    };
    for (const char* h : invalid) {
        EXPECT_FALSE(valid_traceparent(h)) << h;
        const auto t = TraceContext::for_request(std::string_view(h));
        EXPECT_NE(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736") << h;
        EXPECT_TRUE(t.parent_span_id().empty()) << h;
    }
    const auto fresh = TraceContext::for_request(std::nullopt);
    ASSERT_EQ(fresh.trace_id().size(), 32u);
    EXPECT_TRUE(lower_hex(fresh.trace_id()));
    EXPECT_TRUE(fresh.parent_span_id().empty());
    // A later version is read as far as version 00 goes.
    EXPECT_TRUE(valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ab"));
}

TEST(TraceContext, IdsAreDistinctAndChildrenPointAtTheirParent) {
    std::set<std::string> traces, spans;
    for (int i = 0; i < 1000; ++i) {
        const auto t = TraceContext::for_request(std::nullopt);
        traces.emplace(t.trace_id());
        spans.emplace(t.span_id());
    }
    EXPECT_EQ(traces.size(), 1000u);
    EXPECT_EQ(spans.size(), 1000u);
    // Every digit turns up at every position (a missing one: (15/16)^1000, about 1e-28).
    std::vector<std::set<char>> seen(32);
    for (const std::string& id : traces) {
        ASSERT_TRUE(lower_hex(id)) << id;
        for (size_t i = 0; i < id.size(); ++i) seen[i].insert(id[i]);
    }
    for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].size(), 16u) << "position " << i;
    const auto parent = TraceContext::for_request(std::string_view(kTraceparent));
    const auto child = parent.child();
    EXPECT_EQ(child.trace_id(), parent.trace_id());
    EXPECT_EQ(child.parent_span_id(), parent.span_id());
    EXPECT_NE(child.span_id(), parent.span_id());
}

}  // namespace
}  // namespace spoke
