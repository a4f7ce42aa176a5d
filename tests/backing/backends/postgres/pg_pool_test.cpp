// PgPool against the real PostgreSQL primary and streaming standby started by
// tests/harness/services.sh (PG_PRIMARY_URL, PG_STANDBY_URL).
#include "backends/postgres/pg_pool.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backends/resilience/breaker_board.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/run_until.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using testing::run_until;
using Params = std::vector<std::optional<std::string>>;

// The URL from the environment plus hostaddr, so libpq never resolves a name.
std::string url_from_env(const char* name) {
    const char* url = std::getenv(name);
    if (url == nullptr || *url == '\0') return {};
    std::string s = url;
    return s + (s.find('?') == std::string::npos ? "?" : "&") + "hostaddr=127.0.0.1";
}

std::string url_for_port(int port, const std::string& user = "postgres") {
    return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port) +
           "/postgres?hostaddr=127.0.0.1";
}

// A key no other run of this test has used (the table outlives the test).
std::string unique_key() {
    static std::mt19937_64 rng{std::random_device{}()};
    return "k" + std::to_string(rng());
}

std::string message_of(const PgReply& r) {
    return r.result.ok() ? std::string() : r.result.error().message;
}

// A loopback port that refuses connections until open(), then forwards each one to
// `target_port` (standing in for a primary that comes back after a failover).
class ComebackProxy {
  public:
    explicit ComebackProxy(int target_port) : target_port_(target_port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            ADD_FAILURE() << "cannot bind a loopback socket";
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~ComebackProxy() {
        stop_ = true;
        if (acceptor_.joinable()) acceptor_.join();
        for (auto& t : pipes_) t.join();
        ::close(fd_);
    }
    int port() const { return port_; }

    void open() {
        ASSERT_EQ(::listen(fd_, 16), 0);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

  private:
    void accept_loop() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in to{};
            to.sin_family = AF_INET;
            to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            to.sin_port = htons(static_cast<uint16_t>(target_port_));
            if (::connect(server, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
                ::close(client);
                ::close(server);
                continue;
            }
            pipes_.emplace_back([this, client, server] { pipe(client, server); });
        }
    }

    void pipe(int a, int b) {
        char buf[16384];
        while (!stop_) {
            pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
            if (::poll(p, 2, 20) <= 0) continue;
            bool closed = false;
            for (int i = 0; i < 2 && !closed; ++i) {
                if (p[i].revents == 0) continue;
                const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
                if (n <= 0 || ::send(p[1 - i].fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n)
                    closed = true;
            }
            if (closed) break;
        }
        ::close(a);
        ::close(b);
    }

    int target_port_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread acceptor_;
    std::vector<std::thread> pipes_;  // touched by the acceptor only, joined after it
};

class PgPoolTest : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const char* name : {"PG_PRIMARY_URL", "PG_STANDBY_URL"}) {
            const char* v = std::getenv(name);
            if (v == nullptr || *v == '\0')
                GTEST_FAIL() << name
                             << " is not set: run under tests/harness/services.sh run "
                                "--with-standby -- <this binary>";
        }
    }

    static PgPoolOptions options(std::vector<std::string> replicas = {}) {
        PgPoolOptions o;
        o.primary_conninfo = url_from_env("PG_PRIMARY_URL");
        o.replica_conninfos = std::move(replicas);
        o.timeouts = {2000, 3000};
        o.replica_probe_interval_ms = 50;
        o.maintenance_interval_ms = 50;
        o.acquire_timeout_ms = 2000;
        return o;
    }
    static std::string standby() { return url_from_env("PG_STANDBY_URL"); }

    // One statement to completion; the callback must not run inside query().
    PgReply run(PgPool& pool, PgRoute route, std::string sql, Params params = {}) {
        std::optional<PgReply> out;
        pool.query(route, std::move(sql), std::move(params),
                   [&](PgReply r) { out.emplace(std::move(r)); });
        EXPECT_FALSE(out.has_value()) << "completed inside query()";
        if (!run_until(loop_, [&] { return out.has_value(); }))
            return PgReply{PgError{PgErrorKind::Connection, "", "test: no completion"}, false};
        return std::move(*out);
    }

    void ensure_table(PgPool& pool) {
        auto r = run(pool, PgRoute::Write,
                     "CREATE TABLE IF NOT EXISTS pg_pool_test_rows (k text PRIMARY KEY)");
        ASSERT_TRUE(r.result.ok()) << message_of(r);
    }

    EventLoop loop_{0};
    WriteFence fence_;
};

TEST_F(PgPoolTest, WriteRunsOnThePrimaryAndAdvancesTheFence) {
    PgPool pool(loop_, options({standby()}), fence_, nullptr);
    pool.start();
    ASSERT_EQ(fence_.lsn.load(), 0u);
    ensure_table(pool);
    const uint64_t after_create = fence_.lsn.load();
    EXPECT_GT(after_create, 0u);

    auto ins =
        run(pool, PgRoute::Write, "INSERT INTO pg_pool_test_rows VALUES ($1)", {unique_key()});
    ASSERT_TRUE(ins.result.ok()) << message_of(ins);
    EXPECT_EQ(ins.result.value().affected_rows(), 1);
    EXPECT_FALSE(ins.from_replica);
    const uint64_t after_insert = fence_.lsn.load();
    EXPECT_GT(after_insert, after_create);

    auto where = run(pool, PgRoute::Write, "SELECT pg_is_in_recovery()");
    ASSERT_TRUE(where.result.ok()) << message_of(where);
    EXPECT_EQ(where.result.value().value(0, 0), "f");
    EXPECT_FALSE(where.from_replica);

    // The fence never runs ahead of the primary.
    auto cur = run(pool, PgRoute::ReadPrimary, "SELECT pg_current_wal_insert_lsn()::text");
    ASSERT_TRUE(cur.result.ok()) << message_of(cur);
    auto lsn = parse_pg_lsn(cur.result.value().value(0, 0));
    ASSERT_TRUE(lsn.has_value());
    EXPECT_GE(*lsn, fence_.lsn.load());

    // A failed write leaves the fence alone and is not a breaker failure.
    const uint64_t before = fence_.lsn.load();
    auto bad = run(pool, PgRoute::Write, "INSERT INTO pg_pool_test_rows VALUES (NULL)");
    ASSERT_FALSE(bad.result.ok());
    EXPECT_EQ(bad.result.error().kind, PgErrorKind::Sql);
    EXPECT_EQ(bad.result.error().to_error().code, ErrorCode::Internal);
    EXPECT_EQ(fence_.lsn.load(), before);
}

TEST_F(PgPoolTest, ReadRunsOnACaughtUpReplica) {
    PgPool pool(loop_, options({standby()}), fence_, nullptr);
    pool.start();
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool.status()[1].eligible; }, 5s))
        << pool.status()[1].last_error;
    const auto st = pool.status();
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(st[0].name, "postgres_primary");
    EXPECT_FALSE(st[0].replica);
    EXPECT_EQ(st[1].name, "postgres_replica_0");
    EXPECT_TRUE(st[1].replica);
    EXPECT_GE(st[1].lag_ms, 0);
    EXPECT_GT(st[1].replay_lsn, 0u);

    auto r = run(pool, PgRoute::Read, "SELECT pg_is_in_recovery()");
    ASSERT_TRUE(r.result.ok()) << message_of(r);
    EXPECT_EQ(r.result.value().value(0, 0), "t");
    EXPECT_TRUE(r.from_replica);

    auto p = run(pool, PgRoute::ReadPrimary, "SELECT pg_is_in_recovery()");
    ASSERT_TRUE(p.result.ok()) << message_of(p);
    EXPECT_EQ(p.result.value().value(0, 0), "f");
    EXPECT_FALSE(p.from_replica);
}

TEST_F(PgPoolTest, ReadRunsOnThePrimaryWhenTheFenceIsAhead) {
    PgPool pool(loop_, options({standby()}), fence_, nullptr);
    pool.start();
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool.status()[1].eligible; }, 5s));
    fence_.advance(UINT64_MAX);  // a write this replica can never have replayed
    EXPECT_FALSE(pool.status()[1].eligible);
    auto r = run(pool, PgRoute::Read, "SELECT pg_is_in_recovery()");
    ASSERT_TRUE(r.result.ok()) << message_of(r);
    EXPECT_EQ(r.result.value().value(0, 0), "f");
    EXPECT_FALSE(r.from_replica);
}

// Every read after its write sees it, whichever server served it (the harness runs with
// synchronous_commit=off, so the WAL of a commit reaches the standby up to ~200 ms later); and
// the replica comes back into use once it has replayed the last write.
TEST_F(PgPoolTest, ReadsSeeTheirOwnWrites) {
    PgPool pool(loop_, options({standby()}), fence_, nullptr);
    pool.start();
    ensure_table(pool);
    int from_replica = 0;
    for (int i = 0; i < 12; ++i) {
        const std::string key = unique_key();
        auto w = run(pool, PgRoute::Write, "INSERT INTO pg_pool_test_rows VALUES ($1)", {key});
        ASSERT_TRUE(w.result.ok()) << message_of(w);
        // Reads at varying distances from the write: right away (primary), and once the
        // replica may have caught up.
        run_until(
            loop_, [] { return false; }, std::chrono::milliseconds(i * 30));
        auto r =
            run(pool, PgRoute::Read, "SELECT count(*) FROM pg_pool_test_rows WHERE k = $1", {key});
        ASSERT_TRUE(r.result.ok()) << message_of(r);
        EXPECT_EQ(r.result.value().value(0, 0), "1") << "from_replica=" << r.from_replica;
        from_replica += r.from_replica ? 1 : 0;
    }
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool.status()[1].eligible; }, 5s))
        << "replica never replayed up to the fence " << fence_.lsn.load() << ", at "
        << pool.status()[1].replay_lsn;
    auto r = run(pool, PgRoute::Read, "SELECT pg_is_in_recovery()");
    ASSERT_TRUE(r.result.ok()) << message_of(r);
    EXPECT_TRUE(r.from_replica);
    std::printf("reads served by the replica: %d of 12\n", from_replica);
}

TEST_F(PgPoolTest, ReadWithoutReplicasRunsOnThePrimary) {
    PgPool pool(loop_, options(), fence_, nullptr);
    pool.start();
    auto r = run(pool, PgRoute::Read, "SELECT pg_is_in_recovery()");
    ASSERT_TRUE(r.result.ok()) << message_of(r);
    EXPECT_EQ(r.result.value().value(0, 0), "f");
    EXPECT_FALSE(r.from_replica);
    EXPECT_EQ(pool.status().size(), 1u);
}

TEST_F(PgPoolTest, DeadReplicaLeavesReadsOnThePrimary) {
    testing::LoopbackSocket dead(/*listening=*/false);
    PgPool pool(loop_, options({url_for_port(dead.port())}), fence_, nullptr);
    pool.start();
    ASSERT_TRUE(run_until(
        loop_, [&] { return !pool.status()[1].last_error.empty(); }, 3s));
    for (int i = 0; i < 3; ++i) {
        auto r = run(pool, PgRoute::Read, "SELECT pg_is_in_recovery()");
        ASSERT_TRUE(r.result.ok()) << message_of(r);
        EXPECT_EQ(r.result.value().value(0, 0), "f");
        EXPECT_FALSE(r.from_replica);
    }
    const auto st = pool.status();
    EXPECT_FALSE(st[1].eligible);
    EXPECT_EQ(st[1].open, 0u);
    EXPECT_NE(st[1].last_error.find("refused"), std::string::npos) << st[1].last_error;
}

// The replica's backend kills itself mid-statement: the read runs again on the primary.
TEST_F(PgPoolTest, ReplicaConnectionLostMidReadRerunsOnThePrimary) {
    auto o = options({standby()});
    o.replica_probe_interval_ms = 1000;  // the first probe runs at start(), the next in 1 s
    PgPool pool(loop_, o, fence_, nullptr);
    pool.start();
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool.status()[1].eligible; }, 5s));
    auto r = run(pool, PgRoute::Read,
                 "SELECT CASE WHEN pg_is_in_recovery() THEN "
                 "(pg_terminate_backend(pg_backend_pid()) AND (SELECT true FROM pg_sleep(2))) "
                 "ELSE false END");
    ASSERT_TRUE(r.result.ok()) << message_of(r);
    EXPECT_EQ(r.result.value().value(0, 0), "f");
    EXPECT_FALSE(r.from_replica);
    // Skipped until its next successful probe, which brings it back.
    EXPECT_FALSE(pool.status()[1].eligible);
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool.status()[1].eligible; }, 3s));
    auto again = run(pool, PgRoute::Read, "SELECT pg_is_in_recovery()");
    ASSERT_TRUE(again.result.ok()) << message_of(again);
    EXPECT_TRUE(again.from_replica);
}

TEST_F(PgPoolTest, StatementWaitingForABusyConnectionTimesOut) {
    auto o = options();
    o.max_conns = 1;
    o.min_conns = 1;
    o.acquire_timeout_ms = 200;
    BreakerBoard board;
    PgPool pool(loop_, o, fence_, &board);
    pool.start();
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool.status()[0].open == 1; }, 3s));

    std::optional<PgReply> slow;
    pool.query(PgRoute::ReadPrimary, "SELECT pg_sleep(1)", {},
               [&](PgReply r) { slow.emplace(std::move(r)); });
    const auto start = std::chrono::steady_clock::now();
    auto waited = run(pool, PgRoute::ReadPrimary, "SELECT 1");
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(waited.result.ok());
    EXPECT_EQ(waited.result.error().to_error().code, ErrorCode::Unavailable);
    EXPECT_NE(message_of(waited).find("no PostgreSQL connection free within 200ms"),
              std::string::npos)
        << message_of(waited);
    EXPECT_GE(took, 150ms);
    EXPECT_LT(took, 900ms);
    EXPECT_FALSE(slow.has_value());

    ASSERT_TRUE(run_until(
        loop_, [&] { return slow.has_value(); }, 3s));
    EXPECT_TRUE(slow->result.ok()) << message_of(*slow);
    // A full pool is not a failing server.
    EXPECT_EQ(board.worst("postgres_primary"), CircuitBreaker::State::Closed);
    auto after = run(pool, PgRoute::ReadPrimary, "SELECT 1");
    EXPECT_TRUE(after.result.ok()) << message_of(after);
}

TEST_F(PgPoolTest, BreakerOpensAfterFiveFailuresAndThenRejectsAtOnce) {
    testing::LoopbackSocket refused(/*listening=*/false);
    auto o = options();
    o.primary_conninfo = url_for_port(refused.port());
    o.owner = "test";
    BreakerBoard board;
    PgPool pool(loop_, o, fence_, &board);
    for (int i = 0; i < 5; ++i) {
        auto r = run(pool, PgRoute::Write, "SELECT 1");
        ASSERT_FALSE(r.result.ok());
        EXPECT_EQ(r.result.error().to_error().code, ErrorCode::Unavailable);
        EXPECT_EQ(message_of(r).find("circuit open"), std::string::npos)
            << "attempt " << i << ": " << message_of(r);
    }
    EXPECT_EQ(board.worst("postgres_primary"), CircuitBreaker::State::Open);

    const auto start = std::chrono::steady_clock::now();
    auto rejected = run(pool, PgRoute::Write, "SELECT 1");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
    ASSERT_FALSE(rejected.result.ok());
    EXPECT_EQ(rejected.result.error().to_error().code, ErrorCode::Unavailable);
    EXPECT_NE(message_of(rejected).find("postgres_primary: circuit open"), std::string::npos)
        << message_of(rejected);

    const auto readings = board.read();
    ASSERT_EQ(readings.size(), 1u);
    EXPECT_EQ(readings[0].dependency, "postgres_primary");
    EXPECT_EQ(readings[0].owner, "test");
    EXPECT_EQ(readings[0].failures_total, 5u);
    EXPECT_EQ(readings[0].rejected_total, 1u);
}

// A primary that is down: writes fail fast (never waiting out the acquire timeout) and open the
// breaker; when it comes back, the background reconnect probes the breaker at once, so writes
// resume within about one reconnect delay rather than after the 60 s open period.
TEST_F(PgPoolTest, WritesFailFastWhilePrimaryIsDownAndResumeSoonAfterItReturns) {
    const char* pgport = std::getenv("PGPORT");
    ASSERT_NE(pgport, nullptr);
    ComebackProxy primary(std::atoi(pgport));
    auto o = options();
    o.primary_conninfo = url_for_port(primary.port());
    o.reconnect = {.base_ms = 50, .cap_ms = 200, .max_attempts = 1 << 30};
    o.maintenance_interval_ms = 20;
    BreakerBoard board;
    PgPool pool(loop_, o, fence_, &board);
    pool.start();
    for (int i = 0; i < 6; ++i) {
        const auto start = std::chrono::steady_clock::now();
        auto r = run(pool, PgRoute::Write, "SELECT 1");
        EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
        ASSERT_FALSE(r.result.ok());
        EXPECT_EQ(r.result.error().to_error().code, ErrorCode::Unavailable);
    }
    ASSERT_EQ(board.worst("postgres_primary"), CircuitBreaker::State::Open);
    EXPECT_FALSE(pool.status()[0].last_error.empty());

    primary.open();
    const auto back = std::chrono::steady_clock::now();
    std::optional<PgReply> ok;
    while (!ok && std::chrono::steady_clock::now() - back < 5s) {
        auto r = run(pool, PgRoute::Write, "SELECT 1");
        if (r.result.ok())
            ok.emplace(std::move(r));
        else
            run_until(
                loop_, [] { return false; }, 20ms);
    }
    ASSERT_TRUE(ok.has_value()) << "writes did not resume";
    EXPECT_LT(std::chrono::steady_clock::now() - back, 2s);
    EXPECT_GT(fence_.lsn.load(), 0u);
    // The second probe success closes the breaker.
    auto r = run(pool, PgRoute::Write, "SELECT 1");
    EXPECT_TRUE(r.result.ok()) << message_of(r);
    EXPECT_EQ(board.worst("postgres_primary"), CircuitBreaker::State::Closed);
}

TEST_F(PgPoolTest, DestroyingThePoolCompletesEverythingOnceWithPoolClosed) {
    auto o = options({standby()});
    o.max_conns = 1;
    auto pool = std::make_unique<PgPool>(loop_, o, fence_, nullptr);
    pool->start();
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool->status()[0].open == 1 && pool->status()[1].eligible; }, 5s));

    constexpr int kStatements = 5;
    std::vector<int> calls(kStatements, 0);
    std::vector<std::optional<PgReply>> replies(kStatements);
    auto record = [&](int i) {
        return [&, i](PgReply r) {
            ++calls[i];
            replies[i].emplace(std::move(r));
        };
    };
    pool->query(PgRoute::ReadPrimary, "SELECT pg_sleep(5)", {}, record(0));  // in flight
    pool->query(PgRoute::Read, "SELECT pg_sleep(5)", {}, record(1));         // on the replica
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool->status()[0].busy == 1; }, 2s));
    ASSERT_TRUE(run_until(
        loop_, [&] { return pool->status()[1].busy == 1; }, 2s));
    for (int i = 2; i < kStatements; ++i)
        pool->query(PgRoute::Write, "SELECT 1", {}, record(i));  // queued behind the sleep
    int check_calls = 0;
    std::vector<StorageCheck> checks;
    pool->check([&](std::vector<StorageCheck> c) {
        ++check_calls;
        checks = std::move(c);
    });

    pool.reset();
    for (int i = 0; i < kStatements; ++i) EXPECT_EQ(calls[i], 0) << "ran inside the destructor";
    EXPECT_EQ(check_calls, 0);

    ASSERT_TRUE(run_until(
        loop_,
        [&] {
            for (int c : calls)
                if (c == 0) return false;
            return check_calls == 1;
        },
        2s));
    run_until(
        loop_, [] { return false; }, 200ms);  // nothing more may arrive
    for (int i = 0; i < kStatements; ++i) {
        EXPECT_EQ(calls[i], 1) << i;
        ASSERT_TRUE(replies[i].has_value());
        ASSERT_FALSE(replies[i]->result.ok()) << i;
        const Error e = replies[i]->result.error().to_error();
        EXPECT_EQ(e.code, ErrorCode::Unavailable) << i;
        EXPECT_EQ(e.message, "PostgreSQL pool closed") << i;
    }
    EXPECT_EQ(check_calls, 1);
    ASSERT_EQ(checks.size(), 2u);
    for (const auto& c : checks) {
        EXPECT_FALSE(c.up) << c.name;
        EXPECT_EQ(c.error, "PostgreSQL pool closed") << c.name;
    }
}

TEST_F(PgPoolTest, CheckReportsThePrimaryUpAndADeadReplicaDownButNotRequired) {
    testing::LoopbackSocket dead(/*listening=*/false);
    PgPool pool(loop_, options({url_for_port(dead.port(), "postgres:s3cr3t-pw")}), fence_, nullptr);
    auto check = [&] {
        std::optional<std::vector<StorageCheck>> out;
        pool.check([&](std::vector<StorageCheck> c) { out = std::move(c); });
        EXPECT_FALSE(out.has_value()) << "completed inside check()";
        EXPECT_TRUE(run_until(
            loop_, [&] { return out.has_value(); }, 8s));
        return out.value_or(std::vector<StorageCheck>{});
    };
    // Before start(): nothing is open, so both run on connections of their own.
    for (int round = 0; round < 2; ++round) {
        const auto checks = check();
        ASSERT_EQ(checks.size(), 2u);
        EXPECT_EQ(checks[0].name, "postgres_primary");
        EXPECT_TRUE(checks[0].up) << checks[0].error;
        EXPECT_TRUE(checks[0].required);
        EXPECT_EQ(checks[0].breaker, "closed");
        EXPECT_TRUE(checks[0].error.empty());
        EXPECT_GE(checks[0].latency_ms, 0);
        EXPECT_EQ(checks[1].name, "postgres_replica_0");
        EXPECT_FALSE(checks[1].up);
        EXPECT_FALSE(checks[1].required);
        EXPECT_FALSE(checks[1].error.empty());
        EXPECT_EQ(checks[1].error.find("s3cr3t"), std::string::npos) << checks[1].error;
        EXPECT_EQ(checks[1].error.find('\n'), std::string::npos) << checks[1].error;
        if (round == 0) {
            // Then on the pool's own idle connection.
            pool.start();
            ASSERT_TRUE(run_until(
                loop_, [&] { return pool.status()[0].open == 1; }, 3s));
        }
    }
    EXPECT_EQ(pool.status()[0].open, 1u);  // the borrowed connection went back to the pool
}

}  // namespace
}  // namespace spoke
