// MigrationRunner against the real PostgreSQL primary started by tests/harness/services.sh
// (PG_PRIMARY_URL). Each test works in its own fresh database, dropped at the end.
#include "backends/postgres/schema_migrations.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "reactor/timer.hpp"
#include "tests/support/pg_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using testing::connected;
using testing::run_query;
using testing::run_until;
using testing::url_with_db;

// Generous statement deadline: concurrent runners wait on the advisory lock.
constexpr PgTimeouts kTimeouts{3000, 5000};

Result<int> run_migrations(EventLoop& loop, PgConnection& conn) {
    std::optional<Result<int>> out;
    MigrationRunner(conn).run([&](Result<int> r) { out = std::move(r); });
    if (!run_until(loop, [&] { return out.has_value(); }))
        return Error::internal("test: migrations did not complete");
    return std::move(*out);
}

// Each test gets an empty database of its own; `conn` is connected to it.
class MigrationTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const char* url = std::getenv("PG_PRIMARY_URL");
        if (url == nullptr || *url == '\0')
            GTEST_FAIL() << "PG_PRIMARY_URL is not set: run under tests/harness/services.sh run "
                            "--with-standby -- <this binary>";
        admin_url_ = url_with_db(url, "postgres");
        std::random_device rd;
        db_ = "spoke_mig_" + std::to_string(rd()) + std::to_string(rd());
        db_url_ = url_with_db(url, db_);
        admin_ = connected(loop_, admin_url_, kTimeouts);
        auto created = run_query(loop_, *admin_, "CREATE DATABASE " + db_);
        ASSERT_TRUE(created.ok()) << created.error().message;
        conn_ = connected(loop_, db_url_, kTimeouts);
    }

    void TearDown() override {
        conn_.reset();
        if (admin_ && admin_->state() == PgConnection::State::Idle) {
            auto dropped =
                run_query(loop_, *admin_, "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
            EXPECT_TRUE(dropped.ok()) << dropped.error().message;
        }
    }

    std::string scalar(const std::string& sql) {
        auto r = run_query(loop_, *conn_, sql);
        if (!r.ok()) {
            ADD_FAILURE() << sql << ": " << r.error().message;
            return {};
        }
        if (r.value().rows() != 1) return "<" + std::to_string(r.value().rows()) + " rows>";
        return std::string(r.value().value(0, 0));
    }

    EventLoop loop_{0};
    std::string admin_url_, db_, db_url_;
    std::unique_ptr<PgConnection> admin_, conn_;
};

TEST(MigrationScriptSplit, SplitsAtLineEndSemicolonsAndDropsCommentLines) {
    auto r = split_sql_script(
        "-- header; with a semicolon;\n"
        "CREATE TABLE a (\n"
        "    x text CHECK (x <> ';')  -- inline; comment\n"
        ");\n"
        "\n"
        "CREATE INDEX i ON a (x);   \n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0], "CREATE TABLE a (\n    x text CHECK (x <> ';')  -- inline; comment\n);\n");
    EXPECT_EQ((*r)[1], "CREATE INDEX i ON a (x);   \n");
}

TEST(MigrationScriptSplit, UnterminatedStatementIsAnError) {
    auto r = split_sql_script("CREATE TABLE a (x int);\n\nCREATE TABLE b (x int)\n-- end\n");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
}

TEST(MigrationScriptSplit, EmbeddedMigrationsAreAscendingAndSplit) {
    const auto& all = embedded_migrations();
    ASSERT_FALSE(all.empty());
    int previous = 0;
    for (const Migration& m : all) {
        EXPECT_EQ(m.version, previous + 1) << m.name;
        previous = m.version;
        auto statements = split_sql_script(m.sql);
        ASSERT_TRUE(statements.ok()) << m.name << ": " << statements.error().message;
        EXPECT_FALSE(statements->empty()) << m.name;
    }
}

TEST_F(MigrationTest, EmptyDatabaseGetsAllTablesAndTheLatestVersion) {
    auto r = run_migrations(loop_, *conn_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, 2);
    EXPECT_EQ(scalar("SELECT string_agg(version::text || ':' || (applied_at IS NOT NULL)::text, "
                     "',' ORDER BY version) FROM schema_migrations"),
              "1:true,2:true");
    EXPECT_EQ(scalar("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM "
                     "information_schema.tables WHERE table_schema = 'public'"),
              "api_tokens,modules,schema_migrations,version_dependencies,version_files,versions");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_indexes WHERE indexname = "
                     "'version_dependencies_depends_on'"),
              "1");
    // The lock was released: another session can take it at once.
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
}

TEST_F(MigrationTest, SecondRunAppliesNothing) {
    auto first = run_migrations(loop_, *conn_);
    ASSERT_TRUE(first.ok()) << first.error().message;
    const std::string applied_at = scalar("SELECT max(applied_at) FROM schema_migrations");
    auto second = run_migrations(loop_, *conn_);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(*second, 2);
    EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "2");
    EXPECT_EQ(scalar("SELECT max(applied_at) FROM schema_migrations"), applied_at);
}

TEST_F(MigrationTest, ThreeConcurrentRunnersApplyOnce) {
    std::vector<std::unique_ptr<PgConnection>> conns;
    for (int i = 0; i < 3; ++i) conns.push_back(connected(loop_, db_url_, kTimeouts));
    std::vector<std::optional<Result<int>>> results(3);
    for (int i = 0; i < 3; ++i)
        MigrationRunner(*conns[i]).run([&results, i](Result<int> r) { results[i] = std::move(r); });
    ASSERT_TRUE(run_until(loop_, [&] {
        for (auto& r : results)
            if (!r) return false;
        return true;
    }));
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(results[i]->ok()) << "runner " << i << ": " << results[i]->error().message;
        EXPECT_EQ(**results[i], 2);
    }
    EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "2");
    EXPECT_EQ(scalar("SELECT count(*) FROM modules"), "0");
}

TEST_F(MigrationTest, NewerDatabaseIsRefused) {
    ASSERT_TRUE(run_query(loop_, *conn_,
                          "CREATE TABLE schema_migrations (version int PRIMARY KEY, "
                          "applied_at timestamptz NOT NULL DEFAULT now())")
                    .ok());
    ASSERT_TRUE(run_query(loop_, *conn_, "INSERT INTO schema_migrations VALUES (999)").ok());
    auto r = run_migrations(loop_, *conn_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              "database schema version 999 is newer than this spoke-server knows (2)");
    EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = "
                     "'modules'"),
              "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
    EXPECT_EQ(conn_->state(), PgConnection::State::Idle);
}

TEST_F(MigrationTest, FailedMigrationRollsBackAndReleasesTheLock) {
    const std::vector<Migration> broken = {
        {1, "0001_broken", "CREATE TABLE half_done (x int);\nSELECT no_such_column;\n"}};
    std::optional<Result<int>> out;
    MigrationRunner(*conn_, broken).run([&](Result<int> r) { out = std::move(r); });
    ASSERT_TRUE(run_until(loop_, [&] { return out.has_value(); }));
    ASSERT_FALSE(out->ok());
    EXPECT_NE(out->error().message.find("no_such_column"), std::string::npos)
        << out->error().message;
    EXPECT_EQ(conn_->state(), PgConnection::State::Idle);
    EXPECT_EQ(scalar("SELECT to_regclass('half_done') IS NULL"), "t");
    EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
}

TEST_F(MigrationTest, ChecksRejectBadModuleNameAndCompatibility) {
    auto r = run_migrations(loop_, *conn_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto good = run_query(loop_, *conn_, "INSERT INTO modules (name) VALUES ('acme.billing-v2')");
    ASSERT_TRUE(good.ok()) << good.error().message;
    EXPECT_EQ(scalar("SELECT compatibility FROM modules"), "BACKWARD");
    for (const char* bad : {"'../x'", "''", "'Upper'", "'9lives'", "repeat('a', 129)"}) {
        auto rejected = run_query(loop_, *conn_,
                                  std::string("INSERT INTO modules (name) VALUES (") + bad + ")");
        ASSERT_FALSE(rejected.ok()) << bad;
        EXPECT_EQ(rejected.error().sqlstate, "23514") << bad << ": " << rejected.error().message;
    }
    auto bad_compat = run_query(
        loop_, *conn_, "INSERT INTO modules (name, compatibility) VALUES ('ok', 'SIDEWAYS')");
    ASSERT_FALSE(bad_compat.ok());
    EXPECT_EQ(bad_compat.error().sqlstate, "23514") << bad_compat.error().message;
    auto bad_update = run_query(loop_, *conn_, "UPDATE modules SET compatibility = 'backward'");
    ASSERT_FALSE(bad_update.ok());
    EXPECT_EQ(bad_update.error().sqlstate, "23514");
}

}  // namespace
}  // namespace spoke
