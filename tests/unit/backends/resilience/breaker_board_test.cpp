// BreakerBoard: what the loops' breakers publish (state, calls and their latency, PostgreSQL
// pools, replica lag) summed per dependency into the Prometheus text of /metrics.

#include "backends/resilience/breaker_board.hpp"

#include <gtest/gtest.h>

#include <string>

namespace spoke {
namespace {

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(BreakerBoard, CallsOfEveryLoopAreSummedPerDependencyWithTheirLatency) {
    BreakerBoard board;
    BreakerGauge& loop0 = board.add("s3", "loop0");
    BreakerGauge& loop1 = board.add("s3", "loop1");
    loop0.record_call(true, 300'000);         // 0.3 ms: the 0.0005 bucket
    loop1.record_call(true, 20'000'000);      // 20 ms: the 0.025 bucket
    loop1.record_call(false, 9'000'000'000);  // 9 s: only +Inf
    std::string out;
    board.append_metrics(out);
    EXPECT_TRUE(has_line(out, R"(spoke_dependency_calls_total{dependency="s3",outcome="ok"} 2)"))
        << out;
    EXPECT_TRUE(
        has_line(out, R"(spoke_dependency_calls_total{dependency="s3",outcome="error"} 1)"));
    const std::string bucket =
        "spoke_dependency_call_duration_seconds_bucket{dependency=\"s3\",le=";
    EXPECT_TRUE(has_line(out, bucket + R"("0.0005"} 1)")) << out;
    EXPECT_TRUE(has_line(out, bucket + R"("0.01"} 1)"));
    EXPECT_TRUE(has_line(out, bucket + R"("0.025"} 2)"));
    EXPECT_TRUE(has_line(out, bucket + R"("5"} 2)"));
    EXPECT_TRUE(has_line(out, bucket + R"("+Inf"} 3)"));
    EXPECT_TRUE(
        has_line(out, R"(spoke_dependency_call_duration_seconds_count{dependency="s3"} 3)"));
    EXPECT_TRUE(
        has_line(out, R"(spoke_dependency_call_duration_seconds_sum{dependency="s3"} 9.0203)"))
        << out;
    // Not a pool: no pool families at all.
    EXPECT_EQ(out.find("spoke_postgres_pool"), std::string::npos);
}

TEST(BreakerBoard, PoolsAreSummedAndReplicaLagIsTheWorstLoops) {
    BreakerBoard board;
    for (const char* owner : {"loop0", "loop1"}) {
        BreakerGauge& g = board.add("postgres_replica_0", owner);
        g.pool_max = 4;
        g.pool_open = 3;
        g.pool_busy = 1;
        g.pool_connecting = 1;
        g.pool_waiting = 2;
    }
    board.add("postgres_replica_0", "health");  // a probe's breaker: no pool, never measured
    std::string out;
    board.append_metrics(out);
    const std::string conns = "spoke_postgres_pool_connections{endpoint=\"postgres_replica_0\",";
    EXPECT_TRUE(has_line(out, conns + R"(state="idle"} 4)")) << out;
    EXPECT_TRUE(has_line(out, conns + R"(state="busy"} 2)"));
    EXPECT_TRUE(has_line(out, conns + R"(state="connecting"} 2)"));
    EXPECT_TRUE(
        has_line(out, R"(spoke_postgres_pool_max_connections{endpoint="postgres_replica_0"} 8)"));
    EXPECT_TRUE(has_line(out, R"(spoke_postgres_pool_waiting{endpoint="postgres_replica_0"} 4)"));
    EXPECT_EQ(out.find("spoke_postgres_replica_lag_seconds{"), std::string::npos)
        << "no loop measured a lag yet";

    std::string later;
    BreakerBoard lagging;
    lagging.add("postgres_replica_0", "loop0").replica_lag_ms = 250;
    lagging.add("postgres_replica_0", "loop1").replica_lag_ms = 1500;
    lagging.append_metrics(later);
    EXPECT_TRUE(
        has_line(later, R"(spoke_postgres_replica_lag_seconds{endpoint="postgres_replica_0"} 1.5)"))
        << later;
}

TEST(BreakerBoard, TheBreakerCountsOnlyCallsItAdmitted) {
    BreakerBoard board;
    CircuitBreaker breaker("s3", BreakerPolicy{.failure_threshold = 1});
    breaker.publish_to(&board.add("s3", "loop0"));
    Admission first = breaker.admit();
    breaker.record_failure(first);  // opens it
    Admission refused = breaker.admit();
    ASSERT_FALSE(refused.allowed);
    breaker.record_failure(refused);  // never reached S3: not a call
    breaker.record_success(Admission{});
    const auto readings = board.read();
    ASSERT_EQ(readings.size(), 1u);
    EXPECT_EQ(readings[0].calls_error, 1u);
    EXPECT_EQ(readings[0].calls_ok, 0u);
    EXPECT_EQ(readings[0].rejected_total, 1u);
}

}  // namespace
}  // namespace spoke
