// TraceScope / ChildSpan / continue_in, and the trace carried by EventLoop::defer/post and the
// worker-pool boundary: what makes a request's storage calls and jobs children of its span.

#include "reactor/trace_scope.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reactor/guarded_work.hpp"
#include "tests/support/run_until.hpp"

namespace spoke {
namespace {

using testing::run_until;

class RecordingSink final : public SpanSink {
  public:
    void submit(Span span) override {
        std::lock_guard lock(mutex);
        spans.push_back(std::move(span));
    }
    std::vector<Span> taken() {
        std::lock_guard lock(mutex);
        return spans;
    }
    std::mutex mutex;
    std::vector<Span> spans;
};

// Installs a sink for one test and removes it after.
class TraceScopeTest : public ::testing::Test {
  protected:
    void SetUp() override { install_span_sink(&sink); }
    void TearDown() override { install_span_sink(nullptr); }
    RecordingSink sink;
    TraceContext request = TraceContext::for_request(std::nullopt);
};

TEST(TraceScopeOff, WithoutASinkNothingIsRecordedAndCompletionsStayAsTheyAre) {
    TraceContext request = TraceContext::for_request(std::nullopt);
    TraceScope scope(request);
    ChildSpan span = ChildSpan::start("SELECT", Span::Kind::Client);
    EXPECT_FALSE(span.active());
    bool ran = false;
    Callback<void(int)> done =
        continue_in(std::move(span), Callback<void(int)>([&](int) { ran = true; }),
                    [](ChildSpan&, int) { return false; });
    done(1);
    EXPECT_TRUE(ran);
}

TEST_F(TraceScopeTest, ScopesNestAndRestore) {
    EXPECT_EQ(TraceScope::current(), nullptr);
    {
        TraceScope outer(request);
        ASSERT_NE(TraceScope::current(), nullptr);
        EXPECT_EQ(TraceScope::current()->span_id(), request.span_id());
        {
            TraceScope none(std::nullopt);
            EXPECT_EQ(TraceScope::current(), nullptr);
        }
        EXPECT_EQ(TraceScope::current()->span_id(), request.span_id());
    }
    EXPECT_EQ(TraceScope::current(), nullptr);
    EXPECT_FALSE(ChildSpan::start("outside", Span::Kind::Internal).active());
}

TEST_F(TraceScopeTest, ACompletionEndsItsSpanOnceAndRunsInTheStartingContext) {
    std::optional<std::string> seen_in;
    Callback<void(int)> done;
    {
        TraceScope scope(request);
        ChildSpan span = ChildSpan::start("GET", Span::Kind::Client);
        ASSERT_TRUE(span.active());
        span.set("db.system.name", "redis");
        done = continue_in(std::move(span), Callback<void(int)>([&](int) {
                               const TraceContext* now = TraceScope::current();
                               seen_in = now ? std::string(now->span_id()) : "";
                           }),
                           [](ChildSpan& s, int code) {
                               s.set("code", static_cast<int64_t>(code));
                               return code != 0;
                           });
    }
    // As from a socket event: no trace is current when the reply arrives.
    ASSERT_EQ(TraceScope::current(), nullptr);
    done(7);
    EXPECT_EQ(seen_in, std::string(request.span_id()));
    EXPECT_EQ(TraceScope::current(), nullptr);
    std::vector<Span> spans = sink.taken();
    ASSERT_EQ(spans.size(), 1u);
    const Span& s = spans[0];
    EXPECT_EQ(s.name, "GET");
    EXPECT_EQ(s.kind, Span::Kind::Client);
    EXPECT_EQ(s.trace_id, request.trace_id());
    EXPECT_EQ(s.parent_span_id, request.span_id());
    EXPECT_NE(s.span_id, request.span_id());
    EXPECT_TRUE(s.error);
    EXPECT_LE(s.start_unix_ns, s.end_unix_ns);
    ASSERT_EQ(s.attributes.size(), 1u);
    ASSERT_EQ(s.int_attributes.size(), 1u);
    EXPECT_EQ(s.int_attributes[0].second, 7);
}

TEST_F(TraceScopeTest, ACompletionKeptForLaterRunsInTheTraceItWasKeptIn) {
    TraceContext other = TraceContext::for_request(std::nullopt);
    std::vector<std::string> seen;
    auto record = [&] {
        const TraceContext* now = TraceScope::current();
        seen.push_back(now ? std::string(now->span_id()) : "none");
    };
    Task kept;
    {
        TraceScope scope(request);
        kept = in_current_trace(Task(record));
    }
    Task untraced = in_current_trace(Task(record));
    {
        // Run from another request's completion (a joined generation): still its own trace.
        TraceScope scope(other);
        kept();
        untraced();
    }
    EXPECT_EQ(seen, (std::vector<std::string>{std::string(request.span_id()),
                                              std::string(other.span_id())}));
}

TEST_F(TraceScopeTest, DeferAndPostCarryTheContextTheyWereCalledIn) {
    EventLoop loop(0);
    std::vector<std::string> seen;
    auto record = [&] {
        const TraceContext* now = TraceScope::current();
        seen.push_back(now ? std::string(now->span_id()) : "none");
    };
    {
        TraceScope scope(request);
        loop.defer(record);
        loop.post(record);
    }
    loop.defer(record);
    ASSERT_TRUE(run_until(loop, [&] { return seen.size() == 3; }));
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::string>{std::string(request.span_id()),
                                              std::string(request.span_id()), "none"}));
    EXPECT_EQ(TraceScope::current(), nullptr);
}

TEST_F(TraceScopeTest, AWorkerJobIsAChildSpanAndItsCompletionReturnsToTheTrace) {
    EventLoop loop(0);
    WorkerPool pool(1);
    std::optional<Result<int>> result;
    std::string completed_in;
    {
        TraceScope scope(request);
        run_guarded<int>(
            pool, loop, "compile", []() -> Result<int> { return Error::bad_request("bad proto"); },
            [&](Result<int> r) {
                const TraceContext* now = TraceScope::current();
                completed_in = now ? std::string(now->span_id()) : "none";
                result.emplace(std::move(r));
            });
    }
    ASSERT_TRUE(run_until(loop, [&] { return result.has_value(); }));
    EXPECT_EQ(completed_in, request.span_id());
    std::vector<Span> spans = sink.taken();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].name, "compile");
    EXPECT_EQ(spans[0].parent_span_id, request.span_id());
    EXPECT_TRUE(spans[0].error);
    ASSERT_EQ(spans[0].int_attributes.size(), 1u);
    EXPECT_EQ(spans[0].int_attributes[0].first, "spoke.job.queued_us");
}

}  // namespace
}  // namespace spoke
