#pragma once
// Helpers for tests that talk to a real PostgreSQL through PgConnection on a test-thread loop.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "tests/support/run_until.hpp"

namespace spoke::testing {

// A connection on `loop`, connected and idle (or the test fails).
inline std::unique_ptr<PgConnection> connected(EventLoop& loop, const std::string& url,
                                               PgTimeouts timeouts) {
    auto conn = std::make_unique<PgConnection>(loop, url, timeouts);
    std::optional<Status> st;
    conn->connect([&](Status s) { st = std::move(s); });
    EXPECT_TRUE(run_until(loop, [&] { return st.has_value(); }));
    if (st && !st->ok()) ADD_FAILURE() << "connect failed: " << st->error().message;
    EXPECT_EQ(conn->state(), PgConnection::State::Idle);
    return conn;
}

// Runs one query to completion on the loop.
inline PgQueryResult run_query(EventLoop& loop, PgConnection& conn, std::string sql,
                               std::vector<std::optional<std::string>> params = {},
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::optional<PgQueryResult> out;
    conn.query(std::move(sql), std::move(params), [&](PgQueryResult r) { out = std::move(r); });
    if (!run_until(
            loop, [&] { return out.has_value(); }, timeout))
        return PgError{PgErrorKind::Connection, "", "test: query did not complete"};
    return std::move(*out);
}

// `url` (a postgresql:// URL) pointed at database `db`, with hostaddr so libpq never resolves.
inline std::string url_with_db(const std::string& url, const std::string& db) {
    const auto q = url.find('?');
    const std::string base = url.substr(0, q);
    const std::string query = q == std::string::npos ? "" : url.substr(q + 1);
    const auto slash = base.find('/', base.find("//") + 2);
    return base.substr(0, slash) + "/" + db + "?" + (query.empty() ? "" : query + "&") +
           "hostaddr=127.0.0.1";
}

}  // namespace spoke::testing
