// PgConnection against the real PostgreSQL primary and standby started by
// tests/harness/services.sh (PG_PRIMARY_URL, PG_STANDBY_URL).
#include "backends/postgres/pg_connection.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "reactor/timer.hpp"
#include "tests/support/loop_thread.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/pg_test_support.hpp"

namespace spoke {
namespace {

using testing::connected;
using testing::run_query;
using testing::run_until;

constexpr PgTimeouts kTimeouts{2000, 2000};

using namespace std::chrono_literals;
using State = PgConnection::State;

// The URL from the environment plus hostaddr, so libpq never resolves a name. Fails the test
// (not skips) when the harness did not export it.
std::string url_from_env(const char* name) {
    const char* url = std::getenv(name);
    if (url == nullptr || *url == '\0') {
        ADD_FAILURE() << name
                      << " is not set: run under tests/harness/services.sh run --with-standby -- "
                         "<this binary>";
        return {};
    }
    std::string s = url;
    return s + (s.find('?') == std::string::npos ? "?" : "&") + "hostaddr=127.0.0.1";
}

std::string primary_url() {
    return url_from_env("PG_PRIMARY_URL");
}

std::string url_for_port(int port) {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port) +
           "/postgres?hostaddr=127.0.0.1";
}

// Every test fails at once, with the harness command, when the servers' URLs are missing.
class PgConnectionTest : public ::testing::Test {
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
};

TEST_F(PgConnectionTest, ConnectsAndSelectsOne) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), kTimeouts);
    auto r = run_query(loop, *conn, "SELECT 1");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r.value().rows(), 1);
    ASSERT_EQ(r.value().columns(), 1);
    EXPECT_EQ(r.value().value(0, 0), "1");
    EXPECT_FALSE(r.value().is_null(0, 0));
    EXPECT_EQ(conn->state(), State::Idle);
}

TEST_F(PgConnectionTest, PassesTextParamsNullAndUtf8) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), kTimeouts);
    const std::string utf8 = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x90\x98";  // "héllo ✓ 🐘"
    auto r =
        run_query(loop, *conn,
                  "SELECT $1::text, $2::text, $2::text IS NULL, char_length($1::text), $3::int + 1",
                  {utf8, std::nullopt, std::string("41")});
    ASSERT_TRUE(r.ok()) << r.error().message;
    const PgResult& res = r.value();
    ASSERT_EQ(res.rows(), 1);
    EXPECT_EQ(res.value(0, 0), utf8);
    EXPECT_TRUE(res.is_null(0, 1));
    EXPECT_EQ(res.value(0, 2), "t");
    EXPECT_EQ(res.value(0, 3), "9");
    EXPECT_EQ(res.value(0, 4), "42");
}

TEST_F(PgConnectionTest, SyntaxErrorCarriesSqlstateAndConnectionStaysUsable) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), kTimeouts);
    auto bad = run_query(loop, *conn, "SELEC 1");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, PgErrorKind::Sql);
    EXPECT_EQ(bad.error().sqlstate, "42601");
    EXPECT_EQ(bad.error().to_error().code, ErrorCode::Internal);
    EXPECT_EQ(conn->state(), State::Idle);
    auto good = run_query(loop, *conn, "SELECT 2");
    ASSERT_TRUE(good.ok()) << good.error().message;
    EXPECT_EQ(good.value().value(0, 0), "2");
}

// Runs one prepared statement to completion on the loop.
PgQueryResult run_prepared(EventLoop& loop, PgConnection& conn, std::string name, std::string sql,
                           std::vector<std::optional<std::string>> params = {}) {
    std::optional<PgQueryResult> out;
    conn.query_prepared(std::move(name), std::move(sql), std::move(params),
                        [&](PgQueryResult r) { out = std::move(r); });
    if (!run_until(loop, [&] { return out.has_value(); }))
        return PgError{PgErrorKind::Connection, "", "test: query did not complete"};
    return std::move(*out);
}

TEST_F(PgConnectionTest, PreparedStatementsArePreparedOncePerSession) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), kTimeouts);
    const std::string sql = "SELECT $1::int + $2::int, $3::text IS NULL";
    for (int i = 0; i < 3; ++i) {
        auto r = run_prepared(loop, *conn, "sum", sql,
                              {std::to_string(i), std::string("40"), std::nullopt});
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r.value().value(0, 0), std::to_string(40 + i));
        EXPECT_EQ(r.value().value(0, 1), "t");
    }
    auto count = run_query(loop, *conn, "SELECT count(*) FROM pg_prepared_statements");
    ASSERT_TRUE(count.ok()) << count.error().message;
    EXPECT_EQ(count.value().value(0, 0), "1");  // prepared once, executed three times

    // A statement that does not prepare is an SQL error; the connection stays usable and the
    // name is not taken.
    auto bad = run_prepared(loop, *conn, "bad", "SELEC 1");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().sqlstate, "42601");
    EXPECT_EQ(conn->state(), State::Idle);
    auto fixed = run_prepared(loop, *conn, "bad", "SELECT 7");
    ASSERT_TRUE(fixed.ok()) << fixed.error().message;
    EXPECT_EQ(fixed.value().value(0, 0), "7");

    // An execution error (not the prepare) keeps the statement prepared.
    auto div = run_prepared(loop, *conn, "div", "SELECT 1 / $1::int", {std::string("0")});
    ASSERT_FALSE(div.ok());
    EXPECT_EQ(div.error().sqlstate, "22012");
    auto again = run_prepared(loop, *conn, "div", "SELECT 1 / $1::int", {std::string("1")});
    ASSERT_TRUE(again.ok()) << again.error().message;
}

TEST_F(PgConnectionTest, PreparedStatementsArePreparedAgainAfterReconnecting) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), PgTimeouts{2000, 300});
    ASSERT_TRUE(run_prepared(loop, *conn, "one", "SELECT 1").ok());
    // The statement deadline breaks the connection: a new session knows no statements.
    auto slow = run_query(loop, *conn, "SELECT pg_sleep(2)");
    ASSERT_FALSE(slow.ok());
    EXPECT_EQ(conn->state(), State::Broken);
    std::optional<Status> st;
    conn->connect([&](Status s) { st = std::move(s); });
    ASSERT_TRUE(run_until(loop, [&] { return st.has_value(); }));
    ASSERT_TRUE(st->ok()) << st->error().message;
    auto r = run_prepared(loop, *conn, "one", "SELECT 1");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().value(0, 0), "1");
}

TEST_F(PgConnectionTest, PlansArePreparedGenericUnlessTheConninfoSaysOtherwise) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), kTimeouts);
    auto mode = run_query(loop, *conn, "SHOW plan_cache_mode");
    ASSERT_TRUE(mode.ok()) << mode.error().message;
    EXPECT_EQ(mode.value().value(0, 0), "force_generic_plan");
    // `options` in the configured conninfo wins over ours.
    auto own = connected(loop, primary_url() + "&options=-c%20plan_cache_mode%3Dauto", kTimeouts);
    auto auto_mode = run_query(loop, *own, "SHOW plan_cache_mode");
    ASSERT_TRUE(auto_mode.ok()) << auto_mode.error().message;
    EXPECT_EQ(auto_mode.value().value(0, 0), "auto");
}

TEST_F(PgConnectionTest, UniqueViolationIs23505) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), kTimeouts);
    ASSERT_TRUE(run_query(loop, *conn, "CREATE TEMP TABLE u (k text PRIMARY KEY)").ok());
    auto first = run_query(loop, *conn, "INSERT INTO u VALUES ($1)", {std::string("a")});
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first.value().affected_rows(), 1);
    auto dup = run_query(loop, *conn, "INSERT INTO u VALUES ($1)", {std::string("a")});
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().kind, PgErrorKind::Sql);
    EXPECT_TRUE(dup.error().is_unique_violation()) << dup.error().sqlstate;
    EXPECT_EQ(conn->state(), State::Idle);
}

TEST_F(PgConnectionTest, StatementDeadlineBreaksTheConnection) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), {2000, 200});
    const auto start = std::chrono::steady_clock::now();
    auto r = run_query(loop, *conn, "SELECT pg_sleep(5)", {}, 3s);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, PgErrorKind::Timeout);
    EXPECT_EQ(r.error().message, "statement timed out");
    EXPECT_EQ(r.error().to_error().code, ErrorCode::Unavailable);
    EXPECT_LT(took, 1s);
    EXPECT_EQ(conn->state(), State::Broken);
    // A Broken connection refuses queries (through the callback, not inline).
    auto refused = run_query(loop, *conn, "SELECT 1");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, PgErrorKind::Connection);
}

TEST_F(PgConnectionTest, ClosedPortFailsFast) {
    EventLoop loop(0);
    testing::LoopbackSocket bound(/*listening=*/false);  // holds the port; nothing accepts on it
    PgConnection conn(loop, url_for_port(bound.port()), kTimeouts);
    std::optional<Status> st;
    const auto start = std::chrono::steady_clock::now();
    conn.connect([&](Status s) { st = std::move(s); });
    ASSERT_TRUE(run_until(
        loop, [&] { return st.has_value(); }, 3s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
    ASSERT_FALSE(st->ok());
    EXPECT_EQ(st->error().code, ErrorCode::Unavailable);
    EXPECT_NE(st->error().message.find("refused"), std::string::npos) << st->error().message;
    EXPECT_EQ(conn.state(), State::Broken);
}

TEST_F(PgConnectionTest, ConnectDeadlineWhenServerNeverAnswers) {
    EventLoop loop(0);
    testing::LoopbackSocket silent(
        /*listening=*/true);  // handshake completes in the kernel; no reply ever
    PgConnection conn(loop, url_for_port(silent.port()), {300, 2000});
    std::optional<Status> st;
    const auto start = std::chrono::steady_clock::now();
    conn.connect([&](Status s) { st = std::move(s); });
    ASSERT_TRUE(run_until(
        loop, [&] { return st.has_value(); }, 3s));
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(st->ok());
    EXPECT_EQ(st->error().code, ErrorCode::Unavailable);
    EXPECT_EQ(st->error().message, "connect timed out");
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 1s);
    EXPECT_EQ(conn.state(), State::Broken);
}

TEST_F(PgConnectionTest, WriteOnStandbyIsReadOnly25006) {
    EventLoop loop(0);
    auto conn = connected(loop, url_from_env("PG_STANDBY_URL"), kTimeouts);
    auto r = run_query(loop, *conn, "CREATE TABLE standby_write_test (x int)");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, PgErrorKind::Sql);
    EXPECT_EQ(r.error().sqlstate, "25006");
    EXPECT_EQ(r.error().to_error().code, ErrorCode::Unavailable);
    EXPECT_EQ(conn->state(), State::Idle);
}

// libpq tries the standby first, rejects it (read-write wanted) and opens a new socket to the
// primary: the socket changes between PQconnectPoll steps.
TEST_F(PgConnectionTest, MultiHostUrlFollowsTheSocketToThePrimary) {
    EventLoop loop(0);
    const char* multi = std::getenv("PG_MULTI_URL");
    ASSERT_NE(multi, nullptr) << "PG_MULTI_URL is not set (services.sh --with-standby exports it)";
    auto conn = connected(loop, std::string(multi) + "&hostaddr=127.0.0.1,127.0.0.1", kTimeouts);
    auto r = run_query(loop, *conn, "SELECT pg_is_in_recovery()");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().value(0, 0), "f");
}

TEST_F(PgConnectionTest, ReconnectsAfterBroken) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), {2000, 100});
    ASSERT_FALSE(run_query(loop, *conn, "SELECT pg_sleep(2)").ok());
    ASSERT_EQ(conn->state(), State::Broken);
    std::optional<Status> st;
    conn->connect([&](Status s) { st = std::move(s); });
    ASSERT_TRUE(run_until(loop, [&] { return st.has_value(); }));
    ASSERT_TRUE(st->ok()) << st->error().message;
    auto r = run_query(loop, *conn, "SELECT 3");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().value(0, 0), "3");
}

bool wait_for(const std::atomic<bool>& flag, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!flag && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
    return flag;
}

TEST_F(PgConnectionTest, CallbacksRunOnTheLoopThreadAfterTheCallReturned) {
    EventLoop loop(0);
    const std::string url = primary_url();
    std::unique_ptr<PgConnection> conn;
    std::atomic<bool> connect_inside{false}, connect_after_return{false}, connected_ok{false};
    std::atomic<bool> query_inside{false}, query_after_return{false}, query_ok{false};
    std::atomic<bool> connect_done{false}, query_done{false}, destroyed{false};
    {
        testing::LoopThread t(loop);
        loop.post([&] {
            conn = std::make_unique<PgConnection>(loop, url, PgTimeouts{2000, 2000});
            conn->connect([&](Status s) {
                connect_inside = loop.is_inside();
                connected_ok = s.ok();
                connect_done = true;
            });
            connect_after_return = !connect_done;  // the callback must not have run inline
        });
        ASSERT_TRUE(wait_for(connect_done));
        EXPECT_TRUE(connect_inside);
        EXPECT_TRUE(connect_after_return);
        ASSERT_TRUE(connected_ok);

        loop.post([&] {
            conn->query("SELECT 1", {}, [&](PgQueryResult r) {
                query_inside = loop.is_inside();
                query_ok = r.ok();
                query_done = true;
            });
            query_after_return = !query_done;
        });
        ASSERT_TRUE(wait_for(query_done));
        EXPECT_TRUE(query_inside);
        EXPECT_TRUE(query_after_return);
        EXPECT_TRUE(query_ok);

        // Errors found up front are deferred too: connect() while Idle.
        std::atomic<bool> misuse_done{false}, misuse_after_return{false}, misuse_failed{false};
        loop.post([&] {
            conn->connect([&](Status s) {
                misuse_failed = !s.ok();
                misuse_done = true;
            });
            misuse_after_return = !misuse_done;
        });
        ASSERT_TRUE(wait_for(misuse_done));
        EXPECT_TRUE(misuse_after_return);
        EXPECT_TRUE(misuse_failed);

        loop.post([&] {
            conn.reset();
            destroyed = true;
        });
        ASSERT_TRUE(wait_for(destroyed));
    }
}

TEST_F(PgConnectionTest, DestroyingWithQueryInFlightReportsConnectionClosed) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), kTimeouts);
    std::optional<PgQueryResult> out;
    conn->query("SELECT pg_sleep(5)", {}, [&](PgQueryResult r) { out = std::move(r); });
    // Let the query reach the server, then destroy the connection from the loop thread.
    run_until(
        loop, [] { return false; }, 100ms);
    ASSERT_FALSE(out.has_value());
    ASSERT_EQ(conn->state(), State::Busy);
    conn.reset();
    EXPECT_FALSE(out.has_value()) << "the callback must not run inside the destructor";
    ASSERT_TRUE(run_until(
        loop, [&] { return out.has_value(); }, 1s));
    ASSERT_FALSE(out->ok());
    EXPECT_EQ(out->error().kind, PgErrorKind::Closed);
    EXPECT_EQ(out->error().message, "connection closed");
    EXPECT_EQ(out->error().to_error().code, ErrorCode::Unavailable);
}

TEST_F(PgConnectionTest, DestroyingWhileConnectingReportsConnectionClosed) {
    EventLoop loop(0);
    testing::LoopbackSocket silent(/*listening=*/true);
    auto conn =
        std::make_unique<PgConnection>(loop, url_for_port(silent.port()), PgTimeouts{2000, 2000});
    std::optional<Status> st;
    conn->connect([&](Status s) { st = std::move(s); });
    conn.reset();
    EXPECT_FALSE(st.has_value());
    ASSERT_TRUE(run_until(
        loop, [&] { return st.has_value(); }, 1s));
    ASSERT_FALSE(st->ok());
    EXPECT_EQ(st->error().message, "connection closed");
}

TEST_F(PgConnectionTest, CallbackMayDestroyTheConnection) {
    EventLoop loop(0);
    auto conn = connected(loop, primary_url(), kTimeouts);
    bool done = false;
    conn->query("SELECT 1", {}, [&](PgQueryResult r) {
        EXPECT_TRUE(r.ok());
        conn.reset();
        done = true;
    });
    ASSERT_TRUE(run_until(loop, [&] { return done; }));
    EXPECT_EQ(conn, nullptr);
}

}  // namespace
}  // namespace spoke
