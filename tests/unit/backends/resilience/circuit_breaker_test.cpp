// CircuitBreaker: the issue 3 policy (5 failures -> open 60 s -> half-open probes -> 2 successes),
// driven by a fake clock.

#include "backends/resilience/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace spoke {
namespace {

using State = CircuitBreaker::State;

struct FakeClock {
    int64_t now_ms = 1'000'000;
    MonotonicClock fn() {
        return [this] { return now_ms; };
    }
};

class CircuitBreakerTest : public ::testing::Test {
  protected:
    void fail_n(CircuitBreaker& b, int n) {
        for (int i = 0; i < n; ++i) {
            {
                Admission t = b.admit();
                ASSERT_TRUE(t.allowed);
                b.record_failure(t);
            }
        }
    }
    void open_it(CircuitBreaker& b) {
        fail_n(b, 5);
        ASSERT_EQ(b.state(), State::Open);
    }

    FakeClock clock;
};

TEST_F(CircuitBreakerTest, DefaultsMatchIssue3) {
    BreakerPolicy p;
    EXPECT_EQ(p.failure_threshold, 5);
    EXPECT_EQ(p.open_duration_ms, 60'000);
    EXPECT_EQ(p.half_open_max_probes, 1);
    EXPECT_EQ(p.success_threshold, 2);
}

TEST_F(CircuitBreakerTest, StartsClosedAndAdmits) {
    CircuitBreaker b("postgres_primary", {}, clock.fn());
    EXPECT_EQ(b.state(), State::Closed);
    EXPECT_EQ(b.name(), "postgres_primary");
    Admission a = b.admit();
    EXPECT_TRUE(a.allowed);
    EXPECT_FALSE(a.probe);
    EXPECT_EQ(a.retry_after_ms, 0);
}

TEST_F(CircuitBreakerTest, OpensAfterExactlyFiveConsecutiveFailures) {
    CircuitBreaker b("s3", {}, clock.fn());
    fail_n(b, 4);
    EXPECT_EQ(b.state(), State::Closed);
    {
        Admission t = b.admit();
        EXPECT_TRUE(t.allowed);
        b.record_failure(t);
    }
    EXPECT_EQ(b.state(), State::Open);
    EXPECT_FALSE(b.admit().allowed);
}

TEST_F(CircuitBreakerTest, SuccessInBetweenResetsTheCount) {
    CircuitBreaker b("s3", {}, clock.fn());
    fail_n(b, 4);
    {
        Admission t = b.admit();
        ASSERT_TRUE(t.allowed);
        b.record_success(t);
    }
    fail_n(b, 4);
    EXPECT_EQ(b.state(), State::Closed);
    fail_n(b, 1);
    EXPECT_EQ(b.state(), State::Open);
    EXPECT_EQ(b.counters().failures_total, 9u);
}

TEST_F(CircuitBreakerTest, RejectsWhileOpenWithDecreasingRetryAfter) {
    CircuitBreaker b("s3", {}, clock.fn());
    open_it(b);
    Admission first = b.admit();
    EXPECT_FALSE(first.allowed);
    EXPECT_EQ(first.retry_after_ms, 60'000);
    clock.now_ms += 20'000;
    Admission second = b.admit();
    EXPECT_FALSE(second.allowed);
    EXPECT_EQ(second.retry_after_ms, 40'000);
    clock.now_ms += 39'999;
    Admission last = b.admit();
    EXPECT_FALSE(last.allowed);
    EXPECT_EQ(last.retry_after_ms, 1);
    EXPECT_EQ(b.state(), State::Open);
    EXPECT_EQ(b.counters().rejected_total, 3u);
}

TEST_F(CircuitBreakerTest, RejectedCallsAreNotFailures) {
    CircuitBreaker b("s3", {}, clock.fn());
    open_it(b);
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(b.admit().allowed);
    EXPECT_EQ(b.counters().failures_total, 5u);
    EXPECT_EQ(b.counters().rejected_total, 100u);
    // Rejections did not extend the open period.
    clock.now_ms += 60'000;
    EXPECT_TRUE(b.admit().allowed);
}

TEST_F(CircuitBreakerTest, HalfOpenAfterSixtySecondsAdmitsExactlyOneProbe) {
    CircuitBreaker b("s3", {}, clock.fn());
    open_it(b);
    clock.now_ms += 60'000;
    EXPECT_EQ(b.state(), State::HalfOpen);
    Admission probe = b.admit();
    EXPECT_TRUE(probe.allowed);
    EXPECT_TRUE(probe.probe);
    Admission busy = b.admit();
    EXPECT_FALSE(busy.allowed);
    EXPECT_GT(busy.retry_after_ms, 0);
    EXPECT_EQ(b.counters().rejected_total, 1u);
}

TEST_F(CircuitBreakerTest, HalfOpenAdmitsTheConfiguredProbeLimit) {
    BreakerPolicy p;
    p.half_open_max_probes = 3;
    CircuitBreaker b("s3", p, clock.fn());
    open_it(b);
    clock.now_ms += 60'000;
    std::vector<Admission> probes;
    for (int i = 0; i < 3; ++i) {
        probes.push_back(b.admit());
        EXPECT_TRUE(probes.back().allowed && probes.back().probe) << i;
    }
    EXPECT_FALSE(b.admit().allowed);
    // A finished probe frees its slot.
    b.record_success(probes[0]);
    EXPECT_TRUE(b.admit().allowed);
    EXPECT_FALSE(b.admit().allowed);
}

TEST_F(CircuitBreakerTest, TwoProbeSuccessesClose) {
    CircuitBreaker b("s3", {}, clock.fn());
    open_it(b);
    clock.now_ms += 60'000;
    {
        Admission t = b.admit();
        ASSERT_TRUE(t.allowed);
        b.record_success(t);
    }
    EXPECT_EQ(b.state(), State::HalfOpen);
    {
        Admission t = b.admit();  // the success released the slot
        ASSERT_TRUE(t.allowed);
        b.record_success(t);
    }
    EXPECT_EQ(b.state(), State::Closed);
    // Closed again with a fresh failure count.
    fail_n(b, 4);
    EXPECT_EQ(b.state(), State::Closed);
}

TEST_F(CircuitBreakerTest, ProbeFailureReopensForAnotherSixtySeconds) {
    CircuitBreaker b("s3", {}, clock.fn());
    open_it(b);
    clock.now_ms += 60'000;
    {
        Admission t = b.admit();
        ASSERT_TRUE(t.allowed);
        b.record_success(t);
    }
    {
        Admission t = b.admit();
        ASSERT_TRUE(t.allowed);
        b.record_failure(t);  // one failure is enough, and the success streak is lost
    }
    EXPECT_EQ(b.state(), State::Open);
    Admission a = b.admit();
    EXPECT_FALSE(a.allowed);
    EXPECT_EQ(a.retry_after_ms, 60'000);
    clock.now_ms += 60'000;
    {
        Admission t = b.admit();
        ASSERT_TRUE(t.allowed);
        b.record_success(t);
    }
    EXPECT_EQ(b.state(), State::HalfOpen);  // needs two fresh successes
    {
        Admission t = b.admit();
        ASSERT_TRUE(t.allowed);
        b.record_success(t);
    }
    EXPECT_EQ(b.state(), State::Closed);
}

TEST_F(CircuitBreakerTest, FailedProbeReleasesItsSlot) {
    CircuitBreaker b("s3", {}, clock.fn());
    open_it(b);
    clock.now_ms += 60'000;
    {
        Admission t = b.admit();
        ASSERT_TRUE(t.allowed);
        b.record_failure(t);
    }
    clock.now_ms += 60'000;
    EXPECT_TRUE(b.admit().allowed);
}

TEST_F(CircuitBreakerTest, LateOutcomesWhileOpenDoNotMoveTheState) {
    CircuitBreaker b("s3", {}, clock.fn());
    // Eight calls in flight, then five of them fail.
    std::vector<Admission> calls;
    for (int i = 0; i < 8; ++i) {
        calls.push_back(b.admit());
        ASSERT_TRUE(calls.back().allowed);
    }
    for (int i = 0; i < 5; ++i) b.record_failure(calls[i]);
    ASSERT_EQ(b.state(), State::Open);
    clock.now_ms += 30'000;
    b.record_failure(calls[5]);
    b.record_success(calls[6]);
    b.record_failure(calls[7]);
    EXPECT_EQ(b.state(), State::Open);
    EXPECT_EQ(b.admit().retry_after_ms, 30'000);  // not extended
    EXPECT_EQ(b.counters().failures_total, 7u);
}

TEST_F(CircuitBreakerTest, LateOutcomesOfClosedCallsDoNotDecideTheProbe) {
    CircuitBreaker b("s3", {}, clock.fn());
    Admission slow = b.admit();  // admitted while Closed, answers only much later
    ASSERT_TRUE(slow.allowed);
    open_it(b);
    clock.now_ms += 60'000;
    Admission probe = b.admit();
    ASSERT_TRUE(probe.allowed && probe.probe);
    // The slow call succeeds twice over while the probe is in flight: not the probe's result.
    b.record_success(slow);
    b.record_success(slow);
    EXPECT_EQ(b.state(), State::HalfOpen);
    b.record_failure(slow);  // nor does its failure reopen the breaker
    EXPECT_EQ(b.state(), State::HalfOpen);
    EXPECT_FALSE(b.admit().allowed);  // the probe still holds the only slot
    b.record_failure(probe);
    EXPECT_EQ(b.state(), State::Open);
}

TEST_F(CircuitBreakerTest, CountsTransitions) {
    CircuitBreaker b("s3", {}, clock.fn());
    EXPECT_EQ(b.counters().transitions_total, 0u);
    open_it(b);  // closed -> open
    EXPECT_EQ(b.counters().transitions_total, 1u);
    clock.now_ms += 60'000;
    Admission probe = b.admit();  // open -> half_open
    ASSERT_TRUE(probe.allowed);
    EXPECT_EQ(b.counters().transitions_total, 2u);
    b.record_failure(probe);  // half_open -> open
    clock.now_ms += 60'000;
    for (int i = 0; i < 2; ++i) {  // open -> half_open -> closed
        Admission t = b.admit();
        ASSERT_TRUE(t.allowed);
        b.record_success(t);
    }
    EXPECT_EQ(b.state(), State::Closed);
    EXPECT_EQ(b.counters().transitions_total, 5u);
    EXPECT_EQ(b.counters().failures_total, 6u);
    EXPECT_EQ(b.counters().rejected_total, 0u);
}

TEST_F(CircuitBreakerTest, StateNames) {
    EXPECT_STREQ(CircuitBreaker::state_name(State::Closed), "closed");
    EXPECT_STREQ(CircuitBreaker::state_name(State::Open), "open");
    EXPECT_STREQ(CircuitBreaker::state_name(State::HalfOpen), "half_open");
}

}  // namespace
}  // namespace spoke
